import { DynamicModule, Module } from '@nestjs/common';
import { RateLimiter } from './rate-limiter';
import { REDIS_URL, RateLimitStore, RedisReadiness } from './redis.client';

@Module({})
export class RateLimitModule {
  static forRoot(redisUrl: string): DynamicModule {
    return {
      module: RateLimitModule,
      global: true,
      providers: [
        { provide: REDIS_URL, useValue: redisUrl },
        RateLimitStore,
        RedisReadiness,
        RateLimiter,
      ],
      exports: [RateLimitStore, RedisReadiness, RateLimiter],
    };
  }
}
