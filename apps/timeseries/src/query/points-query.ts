import { ProblemException, type ProblemItem } from '@iotwins/http';
import { nowNanoseconds, parseRfc3339Nanoseconds } from '@iotwins/telemetry';

export const AGGREGATES = [
  'mean',
  'median',
  'min',
  'max',
  'sum',
  'count',
  'first',
  'last',
  'percentile',
] as const;
export type Aggregate = (typeof AGGREGATES)[number];
export const FILLS = ['null', 'none', 'previous', 'linear', '0'] as const;
export type Fill = (typeof FILLS)[number];

/** A validated range query over one measurement. */
export interface PointsQuery {
  measurement: string;
  startNs: bigint;
  endNs: bigint;
  fields: string[] | undefined;
  tags: Record<string, string>;
  aggregate: Aggregate | undefined;
  percentile: number | undefined;
  every: string | undefined;
  fill: Fill | undefined;
  limit: number;
  offset: number;
  order: 'asc' | 'desc';
}

export interface QueryLimits {
  maxLimit: number;
  defaultLimit: number;
  /** Most windows (GROUP BY time buckets) one aggregated answer may have per series. */
  maxWindows: number;
}

const DURATION = /^([1-9]\d{0,6})(ns|u|µ|ms|s|m|h|d|w)$/;
const HOUR_NS = 3_600_000_000_000n;
const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  u: 1_000n,
  µ: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: HOUR_NS,
  d: 24n * HOUR_NS,
  w: 7n * 24n * HOUR_NS,
};

/**
 * The times InfluxDB can store and compare (its MinNanoTime and MaxNanoTime): a bound outside
 * them makes InfluxDB refuse or silently cut the query, so it is the caller's error.
 */
export const MIN_TIME_NS = -9_223_372_036_854_775_806n;
export const MAX_TIME_NS = 9_223_372_036_854_775_806n;

/**
 * Control characters (CR, LF, NUL and the rest) cannot be part of a name InfluxDB stores (the
 * platform refuses them at ingest), and inside InfluxQL they break the statement.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The problem item for a name or value holding a control character, if it does. */
export function controlCharacterProblem(pointer: string, value: string): ProblemItem | undefined {
  return CONTROL.test(value)
    ? { pointer, detail: 'must not contain control characters (CR, LF, NUL, ...)' }
    : undefined;
}

/** A name from the path (measurement, tag key): 400 when it could never have been written. */
export function assertQueryName(pointer: string, value: string): void {
  const problem = controlCharacterProblem(pointer, value);
  if (problem)
    throw ProblemException.of(400, 'invalid-query', `${pointer} is not a valid name`, {
      errors: [problem],
    });
}

/** The length of a duration such as 10s or 5m in nanoseconds. */
export function durationNs(duration: string): bigint | undefined {
  const match = DURATION.exec(duration);
  return match ? BigInt(match[1]!) * UNIT_NS[match[2]!]! : undefined;
}

/**
 * Reads and validates the query string of a points request. Every problem is collected and
 * reported at once; nothing from the request reaches InfluxQL without passing here.
 */
export function parsePointsQuery(
  measurement: string,
  query: Record<string, unknown>,
  limits: QueryLimits,
  now: bigint = nowNanoseconds(),
): PointsQuery {
  const errors: ProblemItem[] = [];
  const text = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      errors.push({ pointer: name, detail: 'give this parameter once' });
      return undefined;
    }
    return value;
  };
  const time = (name: string, fallback: bigint): bigint => {
    const value = text(name);
    if (value === undefined) return fallback;
    const parsed = /^-?\d{1,20}$/.test(value) ? BigInt(value) : parseRfc3339Nanoseconds(value);
    if (parsed === undefined) {
      errors.push({ pointer: name, detail: 'expected RFC 3339 or epoch nanoseconds' });
      return fallback;
    }
    if (parsed < MIN_TIME_NS || parsed > MAX_TIME_NS) {
      errors.push({
        pointer: name,
        detail: `out of range: InfluxDB stores times from ${MIN_TIME_NS} to ${MAX_TIME_NS} ns (1677-09-21 to 2262-04-11)`,
      });
      return fallback;
    }
    return parsed;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const value = text(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
      errors.push({ pointer: name, detail: `expected an integer from ${min} to ${max}` });
      return fallback;
    }
    return parsed;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      errors.push({ pointer: name, detail: `expected one of ${allowed.join(', ')}` });
      return undefined;
    }
    return value as T;
  };

  const measurementProblem = controlCharacterProblem('measurement', measurement);
  if (measurementProblem) errors.push(measurementProblem);
  const endNs = time('end', now);
  const startNs = time('start', endNs - HOUR_NS);
  if (startNs >= endNs) errors.push({ pointer: 'start', detail: 'start must be before end' });
  const fieldsText = text('fields');
  const fields =
    fieldsText === undefined ? undefined : fieldsText.split(',').filter((f) => f.length > 0);
  if (fields !== undefined && fields.length === 0)
    errors.push({ pointer: 'fields', detail: 'name at least one field' });
  const fieldsProblem = controlCharacterProblem('fields', fieldsText ?? '');
  if (fieldsProblem) errors.push(fieldsProblem);
  const tags: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!name.startsWith('tag.')) continue;
    if (typeof value !== 'string' || name.length === 4) {
      errors.push({ pointer: name, detail: 'give tag.<key>=<value> once per key' });
      continue;
    }
    const problem =
      controlCharacterProblem(name, name.slice(4)) ?? controlCharacterProblem(name, value);
    if (problem) errors.push(problem);
    tags[name.slice(4)] = value;
  }
  const aggregate = oneOf('aggregate', AGGREGATES);
  const percentileText = text('percentile');
  let percentile: number | undefined;
  if (aggregate === 'percentile') {
    percentile = Number(percentileText);
    if (
      percentileText === undefined ||
      !/^\d+(\.\d+)?$/.test(percentileText) ||
      percentile <= 0 ||
      percentile > 100
    ) {
      errors.push({
        pointer: 'percentile',
        detail: 'expected a number in (0, 100] with aggregate=percentile',
      });
    }
  } else if (percentileText !== undefined) {
    errors.push({ pointer: 'percentile', detail: 'only with aggregate=percentile' });
  }
  const every = text('every');
  if (every !== undefined && !DURATION.test(every)) {
    errors.push({ pointer: 'every', detail: 'expected a duration such as 10s, 5m, 1h or 1d' });
  }
  if (every !== undefined && aggregate === undefined) {
    errors.push({ pointer: 'every', detail: 'windows need an aggregate' });
  }
  const everyNs = every === undefined ? undefined : durationNs(every);
  if (everyNs !== undefined && everyNs > MAX_TIME_NS) {
    errors.push({ pointer: 'every', detail: `at most ${MAX_TIME_NS} ns (about 292 years)` });
  }
  const fill = oneOf('fill', FILLS);
  if (fill !== undefined && every === undefined)
    errors.push({ pointer: 'fill', detail: 'fill needs every' });
  const limit = integer('limit', limits.defaultLimit, 1, limits.maxLimit);
  const offset = integer('offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const order = oneOf('order', ['asc', 'desc'] as const) ?? 'asc';

  if (errors.length > 0) {
    throw ProblemException.of(
      400,
      'invalid-query',
      `${errors.length} query parameter(s) are invalid`,
      { errors },
    );
  }
  // The cost limit of an aggregation: how many windows the range holds at this width. InfluxDB
  // computes (and with fill, emits) every one of them, whether or not any point falls inside.
  if (everyNs !== undefined) {
    const windows = (endNs - startNs + everyNs - 1n) / everyNs;
    if (windows > BigInt(limits.maxWindows)) {
      const widest = BigInt(limits.maxWindows) * everyNs;
      throw ProblemException.of(
        400,
        'query-too-costly',
        `The range holds ${windows} windows of ${every}; at most ${limits.maxWindows} (TIMESERIES_QUERY_MAX_WINDOWS) are answered. Widen every or narrow the range to at most ${widest} ns.`,
        {
          limit: 'TIMESERIES_QUERY_MAX_WINDOWS',
          value: limits.maxWindows,
          windows: Number(windows),
        },
      );
    }
  }
  return {
    measurement,
    startNs,
    endNs,
    fields,
    tags,
    aggregate,
    percentile,
    every,
    fill,
    limit,
    offset,
    order,
  };
}
