/**
 * Limits on what one request may carry. They are checked as input is read, so the work
 * spent on a hostile request stops at the first limit it crosses.
 */
export interface TelemetryLimits {
  maxPointsPerBatch: number;
  maxFieldsPerPoint: number;
  maxTagsPerPoint: number;
  /** Longest measurement, tag key or field key, in characters. */
  maxNameLength: number;
  maxTagValueLength: number;
  maxStringFieldLength: number;
  /** Oldest and newest accepted timestamps, in nanoseconds since the epoch. */
  minTimestampNs: bigint;
  maxTimestampNs: bigint;
  /**
   * InfluxDB 1.x cannot store unsigned integers: when set, an unsigned value is kept as a
   * 64-bit integer, and one above 2^63-1 is refused instead of failing later in the store.
   */
  unsignedAsInteger: boolean;
}

export const DEFAULT_TELEMETRY_LIMITS: TelemetryLimits = {
  maxPointsPerBatch: 50_000,
  maxFieldsPerPoint: 200,
  maxTagsPerPoint: 64,
  maxNameLength: 256,
  maxTagValueLength: 1024,
  // InfluxDB's own cap on a string field value.
  maxStringFieldLength: 65_536,
  minTimestampNs: -9_223_372_036_854_775_806n,
  maxTimestampNs: 9_223_372_036_854_775_806n,
  unsignedAsInteger: true,
};
