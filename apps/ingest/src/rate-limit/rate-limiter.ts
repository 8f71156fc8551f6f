import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import type { IngestConfig } from '../app.config';
import { RateLimitStore } from './redis.client';

/**
 * Per-tenant points-per-second limit in fixed one-second windows kept in Redis, so every
 * ingest replica counts against the same budget.
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger(RateLimiter.name);

  constructor(
    private readonly store: RateLimitStore,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
  ) {}

  async consume(tenant: string, points: number): Promise<void> {
    const limit = this.config.INGEST_RATE_LIMIT_POINTS_PER_SECOND;
    if (limit === 0) return;
    const second = Math.floor(Date.now() / 1000);
    const key = `ratelimit:points:${tenant}:${second}`;
    let used: number;
    try {
      const result = await this.store.redis.multi().incrby(key, points).expire(key, 2).exec();
      used = Number(result?.[0]?.[1] ?? 0);
    } catch (error) {
      // Losing the limiter must not lose data: accept and say so in the log.
      this.logger.warn(
        { tenant, err: (error as Error).message },
        'rate limit not checked: Redis unavailable',
      );
      return;
    }
    if (used > limit && used - points > 0) {
      throw ProblemException.of(
        429,
        'rate-limited',
        `Tenant "${tenant}" may send ${limit} points per second; this batch of ${points} would exceed it`,
        { limit },
        { 'Retry-After': '1' },
      );
    }
  }
}
