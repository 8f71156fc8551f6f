import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { Gauge } from 'prom-client';
import { MetricsRegistry, type ReadinessCheck } from '@iotwins/observability';

export const REDIS_URL = Symbol('REDIS_URL');

/** The Redis connection that holds per-tenant rate-limit counters. */
@Injectable()
export class RateLimitStore implements OnApplicationShutdown {
  readonly redis: Redis;

  constructor(@Inject(REDIS_URL) url: string) {
    // Fail commands fast while disconnected instead of queueing them until memory runs out.
    this.redis = new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: false,
    });
    // ioredis reconnects on its own; without a listener an outage would crash the process.
    this.redis.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}

@Injectable()
export class RedisReadiness implements ReadinessCheck {
  readonly name = 'redis';
  /** Ingest serves without Redis (the rate limiter fails open): reported, never unready. */
  readonly required = false;

  constructor(
    private readonly store: RateLimitStore,
    metrics: MetricsRegistry,
  ) {
    const { redis } = store;
    new Gauge({
      name: 'ingest_redis_connected',
      help: '1 while the rate limiter is connected to Redis (rate limits are applied), else 0',
      registers: [metrics.registry],
      collect() {
        this.set(redis.status === 'ready' ? 1 : 0);
      },
    });
  }

  async probe(): Promise<void> {
    const answer = await this.store.redis.ping();
    if (answer !== 'PONG') throw new Error(`unexpected PING answer ${answer}`);
  }
}
