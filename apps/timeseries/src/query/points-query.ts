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
}

const DURATION = /^[1-9]\d{0,6}(ns|u|µ|ms|s|m|h|d|w)$/;
const HOUR_NS = 3_600_000_000_000n;

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
    if (/^-?\d+$/.test(value)) return BigInt(value);
    const parsed = parseRfc3339Nanoseconds(value);
    if (parsed === undefined)
      errors.push({ pointer: name, detail: 'expected RFC 3339 or epoch nanoseconds' });
    return parsed ?? fallback;
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

  const endNs = time('end', now);
  const startNs = time('start', endNs - HOUR_NS);
  if (startNs >= endNs) errors.push({ pointer: 'start', detail: 'start must be before end' });
  const fieldsText = text('fields');
  const fields =
    fieldsText === undefined ? undefined : fieldsText.split(',').filter((f) => f.length > 0);
  if (fields !== undefined && fields.length === 0)
    errors.push({ pointer: 'fields', detail: 'name at least one field' });
  const tags: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!name.startsWith('tag.')) continue;
    if (typeof value !== 'string' || name.length === 4) {
      errors.push({ pointer: name, detail: 'give tag.<key>=<value> once per key' });
      continue;
    }
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
