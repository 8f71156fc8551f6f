import { Injectable, Logger } from '@nestjs/common';
import { InfluxClient } from '../influx/influx.client';
import { WriterMetrics } from './writer.metrics';

/** How often an unavailable InfluxDB is asked again whether it answers. */
const PROBE_INTERVAL_MS = 500;
/** A probe that takes longer than this counts as no answer. */
const PROBE_TIMEOUT_MS = 3_000;

/**
 * Tells an InfluxDB outage from a batch that fails on its own, and holds every writer until
 * the outage ends. All batches that meet the outage wait on one shared probe and are retried
 * the moment InfluxDB answers again: the backlog then drains at the writer's full speed, not
 * on each message's redelivery clock, and the log holds one warning per outage rather than
 * one per message.
 */
@Injectable()
export class InfluxOutage {
  private readonly logger = new Logger(InfluxOutage.name);
  private current: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly influx: InfluxClient,
    private readonly metrics: WriterMetrics,
  ) {}

  /**
   * Whether InfluxDB answers an authenticated query now. A write that failed while this is
   * true failed because of its batch; one that failed while this is false met an outage
   * (InfluxDB down, unreachable or refusing the writer's credentials).
   */
  async answers(): Promise<boolean> {
    try {
      await Promise.race([
        this.influx.query('SHOW DATABASES'),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('probe timed out')), PROBE_TIMEOUT_MS).unref(),
        ),
      ]);
      return true;
    } catch {
      return false;
    }
  }

  /** Resolves once InfluxDB answers again (or the app stops); every caller shares one wait. */
  waitUntilBack(reason: string): Promise<void> {
    this.current ??= this.wait(reason).finally(() => (this.current = undefined));
    return this.current;
  }

  get active(): boolean {
    return this.current !== undefined;
  }

  stop(): void {
    this.stopped = true;
  }

  private async wait(reason: string): Promise<void> {
    const started = Date.now();
    this.metrics.influxAvailable.set(0);
    this.logger.warn({ reason }, 'InfluxDB unavailable; holding telemetry until it answers');
    while (!this.stopped && !(await this.answers()))
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
    if (this.stopped) return;
    this.metrics.influxAvailable.set(1);
    this.metrics.outages.inc();
    this.logger.warn(
      { seconds: Math.round((Date.now() - started) / 100) / 10 },
      'InfluxDB answers again; writing the held telemetry',
    );
  }
}
