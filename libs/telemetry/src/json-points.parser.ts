import {
  INT64_MAX,
  INT64_MIN,
  UINT64_MAX,
  toNanoseconds,
  type FieldValue,
  type Point,
  type Precision,
} from './point';
import { checkPointLimits } from './point.validation';
import { parseRfc3339Nanoseconds } from './rfc3339';
import type { TelemetryLimits } from './telemetry-limits';

export interface JsonPointError {
  index: number;
  /** JSON pointer into the request body. */
  pointer: string;
  detail: string;
}

export interface JsonPointsOptions {
  /** Unit of numeric `time` values. */
  precision: Precision;
  defaultTimestamp: bigint;
  limits: TelemetryLimits;
}

/** A bad value at a JSON pointer inside one point. */
class PointPathError extends Error {
  constructor(
    readonly pointer: string,
    message: string,
  ) {
    super(message);
  }
}

const FIELD_TYPES = new Set(['float', 'integer', 'uinteger', 'boolean', 'string']);
const DIGITS = /^-?\d+$/;

/**
 * Validates a JSON batch `{ points: [{ measurement, tags, fields, time }] }`. A JSON batch
 * is all or nothing: the result lists every bad point by index and pointer, so the caller
 * fixes them all at once, and nothing is kept when any is bad.
 */
export function parseJsonPoints(
  body: unknown,
  options: JsonPointsOptions,
): { points: Point[]; errors: JsonPointError[] } {
  if (
    typeof body !== 'object' ||
    body === null ||
    !Array.isArray((body as { points?: unknown }).points)
  ) {
    return {
      points: [],
      errors: [
        { index: -1, pointer: '/points', detail: 'expected an object with a "points" array' },
      ],
    };
  }
  const items = (body as { points: unknown[] }).points;
  if (items.length === 0) {
    return {
      points: [],
      errors: [{ index: -1, pointer: '/points', detail: 'the batch has no points' }],
    };
  }
  if (items.length > options.limits.maxPointsPerBatch) {
    return {
      points: [],
      errors: [
        {
          index: -1,
          pointer: '/points',
          detail: `${items.length} points exceed the limit of ${options.limits.maxPointsPerBatch} per batch`,
        },
      ],
    };
  }
  const points: Point[] = [];
  const errors: JsonPointError[] = [];
  items.forEach((item, index) => {
    try {
      const point = parsePoint(item, options);
      checkPointLimits(point, options.limits);
      points.push(point);
    } catch (error) {
      const pointer = error instanceof PointPathError ? error.pointer : '';
      errors.push({
        index,
        pointer: `/points/${index}${pointer}`,
        detail: (error as Error).message,
      });
    }
  });
  return { points, errors };
}

function parsePoint(item: unknown, options: JsonPointsOptions): Point {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new PointPathError('', 'expected a point object');
  }
  const { measurement, tags = {}, fields, time, ...rest } = item as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0)
    throw new PointPathError(`/${unknown[0]}`, `unknown property "${unknown[0]}"`);
  if (typeof measurement !== 'string')
    throw new PointPathError('/measurement', 'expected a string');
  return {
    measurement,
    tags: parseTags(tags),
    fields: parseFields(fields),
    timestamp: parseTime(time, options),
  };
}

function parseTags(tags: unknown): Record<string, string> {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    throw new PointPathError('/tags', 'expected an object of string values');
  }
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== 'string')
      throw new PointPathError(`/tags/${escapePointer(key)}`, 'expected a string');
    result[key] = value;
  }
  return result;
}

function parseFields(fields: unknown): Record<string, FieldValue> {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new PointPathError('/fields', 'expected an object of field values');
  }
  const result: Record<string, FieldValue> = {};
  for (const [key, value] of Object.entries(fields)) {
    result[key] = parseField(value, `/fields/${escapePointer(key)}`);
  }
  return result;
}

/**
 * A bare number is a float, a bare boolean or string keeps its type; integers need the typed
 * form `{ "type": "integer", "value": 42 }` (value may be a decimal string past 2^53).
 */
function parseField(value: unknown, pointer: string): FieldValue {
  if (typeof value === 'number') return float(value, pointer);
  if (typeof value === 'boolean') return { type: 'boolean', value };
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PointPathError(pointer, 'expected a number, boolean, string or {"type", "value"}');
  }
  const { type, value: inner } = value as { type?: unknown; value?: unknown };
  if (typeof type !== 'string' || !FIELD_TYPES.has(type)) {
    throw new PointPathError(
      `${pointer}/type`,
      'expected one of float, integer, uinteger, boolean, string',
    );
  }
  switch (type) {
    case 'float':
      if (typeof inner !== 'number')
        throw new PointPathError(`${pointer}/value`, 'expected a number');
      return float(inner, pointer);
    case 'boolean':
      if (typeof inner !== 'boolean')
        throw new PointPathError(`${pointer}/value`, 'expected a boolean');
      return { type: 'boolean', value: inner };
    case 'string':
      if (typeof inner !== 'string')
        throw new PointPathError(`${pointer}/value`, 'expected a string');
      return { type: 'string', value: inner };
    default:
      return integer(type as 'integer' | 'uinteger', inner, `${pointer}/value`);
  }
}

function float(value: number, pointer: string): FieldValue {
  if (!Number.isFinite(value)) throw new PointPathError(pointer, 'expected a finite number');
  return { type: 'float', value };
}

function integer(type: 'integer' | 'uinteger', value: unknown, pointer: string): FieldValue {
  let parsed: bigint;
  if (typeof value === 'number' && Number.isSafeInteger(value)) parsed = BigInt(value);
  else if (typeof value === 'string' && DIGITS.test(value)) parsed = BigInt(value);
  else
    throw new PointPathError(
      pointer,
      `expected an ${type} as a safe JSON integer or a decimal string`,
    );
  const [min, max] = type === 'integer' ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX];
  if (parsed < min || parsed > max)
    throw new PointPathError(pointer, `${type} out of the 64-bit range`);
  return { type, value: parsed };
}

function parseTime(time: unknown, options: JsonPointsOptions): bigint {
  if (time === undefined) return options.defaultTimestamp;
  if (typeof time === 'number') {
    if (!Number.isSafeInteger(time)) {
      throw new PointPathError(
        '/time',
        'expected an integer epoch (use a decimal string past 2^53)',
      );
    }
    return toNanoseconds(BigInt(time), options.precision);
  }
  if (typeof time === 'string') {
    if (DIGITS.test(time)) return toNanoseconds(BigInt(time), options.precision);
    const nanos = parseRfc3339Nanoseconds(time);
    if (nanos !== undefined) return nanos;
  }
  throw new PointPathError(
    '/time',
    'expected an RFC 3339 date-time or an integer epoch in the batch precision',
  );
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
