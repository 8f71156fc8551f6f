import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import type { TimeseriesConfig } from '../app.config';

/** Seconds a refused caller is told to wait: queries are short, a slot frees up soon. */
const RETRY_AFTER_S = 1;

/**
 * A per-tenant limit on queries running at once in this process, so one tenant cannot occupy
 * InfluxDB for everyone (each replica of the app counts its own). A query over the limit is
 * refused at once with 429 rather than queued, so a client that floods does not build a backlog.
 */
@Injectable()
export class TenantQuerySlots {
  private readonly running = new Map<string, number>();
  private readonly max: number;

  constructor(@Inject(APP_CONFIG) config: TimeseriesConfig) {
    this.max = config.TIMESERIES_QUERY_MAX_CONCURRENT_PER_TENANT;
  }

  /** Takes a slot or throws 429; the returned function gives it back (once). */
  acquire(tenant: string): () => void {
    const count = this.running.get(tenant) ?? 0;
    if (count >= this.max)
      throw ProblemException.of(
        429,
        'too-many-queries',
        `Tenant ${tenant} already has ${count} queries running; at most ${this.max} (TIMESERIES_QUERY_MAX_CONCURRENT_PER_TENANT) run at once`,
        { limit: 'TIMESERIES_QUERY_MAX_CONCURRENT_PER_TENANT', value: this.max },
        { 'Retry-After': String(RETRY_AFTER_S) },
      );
    this.running.set(tenant, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.running.get(tenant) ?? 1) - 1;
      if (left <= 0) this.running.delete(tenant);
      else this.running.set(tenant, left);
    };
  }

  async run<T>(tenant: string, work: () => Promise<T>): Promise<T> {
    const release = this.acquire(tenant);
    try {
      return await work();
    } finally {
      release();
    }
  }
}
