import { RETENTION_DURATION } from '../influx/influxql';

const UNIT_MINUTES = { m: 1, h: 60, d: 24 * 60, w: 7 * 24 * 60 } as const;

/**
 * The longest retention InfluxDB can keep: its durations are Go durations, int64 nanoseconds
 * (about 292 years). A longer one makes InfluxDB fail rather than refuse.
 */
export const MAX_RETENTION_MINUTES = Math.floor(Number(2n ** 63n - 1n) / 60e9);

/** Minutes of a duration that matches RETENTION_DURATION (0s is 0: keep forever). */
export function retentionMinutes(duration: string): number {
  if (!RETENTION_DURATION.test(duration)) throw new Error(`not a retention duration: ${duration}`);
  if (duration === '0s') return 0;
  const unit = duration.slice(-1) as keyof typeof UNIT_MINUTES;
  return Number(duration.slice(0, -1)) * UNIT_MINUTES[unit];
}

/** A duration as InfluxDB reports it (Go's format): 30d is 720h0m0s, forever is 0s. */
export function influxDurationText(duration: string): string {
  const minutes = retentionMinutes(duration);
  if (minutes === 0) return '0s';
  return `${Math.floor(minutes / 60)}h${minutes % 60}m0s`;
}
