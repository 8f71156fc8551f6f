/**
 * The one point model every ingest path normalises to, and the timeseries writer stores.
 * Integers are bigint because line protocol integers are 64-bit and a JS number loses
 * precision past 2^53.
 */
export type FieldValue =
  | { type: 'float'; value: number }
  | { type: 'integer'; value: bigint }
  | { type: 'uinteger'; value: bigint }
  | { type: 'boolean'; value: boolean }
  | { type: 'string'; value: string };

export type FieldType = FieldValue['type'];

export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** Nanoseconds since the Unix epoch. */
  timestamp: bigint;
  /**
   * The point as canonical line protocol when the parser already has it (the input line
   * with a nanosecond timestamp), so the hot path does not serialize what it just read.
   */
  line?: string;
}

export type Precision = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

/** Nanoseconds per unit of each precision; line protocol also names ns as `n` and us as `u`. */
const NANOS_PER_UNIT: Record<Precision, bigint> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const PRECISION_ALIASES: Record<string, Precision> = {
  n: 'ns',
  ns: 'ns',
  u: 'us',
  us: 'us',
  µ: 'us',
  ms: 'ms',
  s: 's',
  m: 'm',
  h: 'h',
};

/** Reads a precision as InfluxDB's v1 and v2 write APIs name it; undefined if unknown. */
export function parsePrecision(value: string | undefined): Precision | undefined {
  if (value === undefined || value === '') return 'ns';
  return PRECISION_ALIASES[value];
}

export function toNanoseconds(value: bigint, precision: Precision): bigint {
  return value * NANOS_PER_UNIT[precision];
}

/** InfluxDB's valid timestamp range (1677-09-21 to 2262-04-11), in nanoseconds. */
export const MIN_TIMESTAMP_NS = -9_223_372_036_854_775_806n;
export const MAX_TIMESTAMP_NS = 9_223_372_036_854_775_806n;

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

/** The current time in nanoseconds (millisecond resolution, as InfluxDB stamps points without a time). */
export function nowNanoseconds(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
