import { INT64_MAX, type Point } from './point';
import type { TelemetryLimits } from './telemetry-limits';

/** A point broke a rule of the platform; the message says which, for the caller. */
export class PointError extends Error {}

/**
 * Rules every point obeys, whichever path it came in by; it also applies the store's type
 * rules (unsigned as integer), changing the point in place. Names must survive a round trip
 * through line protocol: a trailing backslash would escape the separator after it.
 */
export function checkPointLimits(point: Point, limits: TelemetryLimits): void {
  checkName('measurement', point.measurement, limits);
  const tagKeys = Object.keys(point.tags);
  if (tagKeys.length > limits.maxTagsPerPoint) {
    throw new PointError(`${tagKeys.length} tags exceed the limit of ${limits.maxTagsPerPoint}`);
  }
  for (const key of tagKeys) {
    checkName('tag key', key, limits);
    const value = point.tags[key]!;
    if (value.length === 0) throw new PointError(`tag "${key}" has an empty value`);
    if (value.length > limits.maxTagValueLength) {
      throw new PointError(`tag "${key}" is longer than ${limits.maxTagValueLength} characters`);
    }
    checkPlain(`tag "${key}" value`, value);
  }
  const fieldKeys = Object.keys(point.fields);
  if (fieldKeys.length === 0) throw new PointError('a point needs at least one field');
  if (fieldKeys.length > limits.maxFieldsPerPoint) {
    throw new PointError(
      `${fieldKeys.length} fields exceed the limit of ${limits.maxFieldsPerPoint}`,
    );
  }
  for (const key of fieldKeys) {
    checkName('field key', key, limits);
    const field = point.fields[key]!;
    if (field.type === 'string' && field.value.length > limits.maxStringFieldLength) {
      throw new PointError(
        `string field "${key}" is longer than ${limits.maxStringFieldLength} characters`,
      );
    }
    if (field.type === 'uinteger' && limits.unsignedAsInteger) {
      if (field.value > INT64_MAX) {
        throw new PointError(
          `unsigned field "${key}" is above 2^63-1, which the time-series store cannot hold`,
        );
      }
      point.fields[key] = { type: 'integer', value: field.value };
      // The parsed line still says "u"; the point is written again from its fields.
      delete point.line;
    }
  }
  if (point.timestamp < limits.minTimestampNs || point.timestamp > limits.maxTimestampNs) {
    throw new PointError(`timestamp ${point.timestamp} ns is outside the accepted range`);
  }
}

/**
 * Names and tag values repeat from point to point (the same hosts, sensors, fields), so the
 * ones already found plain are remembered; the set is bounded and starts over when full.
 */
const plainValues = new Set<string>();
const PLAIN_VALUES_MAX = 50_000;

function rememberPlain(value: string): void {
  if (plainValues.size >= PLAIN_VALUES_MAX) plainValues.clear();
  plainValues.add(value);
}

function checkName(what: string, name: string, limits: TelemetryLimits): void {
  if (name.length === 0) throw new PointError(`${what} is empty`);
  if (name.length > limits.maxNameLength) {
    throw new PointError(
      `${what} "${name.slice(0, 40)}…" is longer than ${limits.maxNameLength} characters`,
    );
  }
  // InfluxDB refuses "time" as a field key and drops it as a tag key; both would lose data.
  if (what !== 'measurement' && name === 'time') throw new PointError(`${what} "time" is reserved`);
  checkPlain(`${what} "${name}"`, name);
}

function checkPlain(what: string, value: string): void {
  if (plainValues.has(value)) return;
  if (value.endsWith('\\')) throw new PointError(`${what} ends with a backslash`);
  // Control characters (newlines among them) cannot be written in line protocol names.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw new PointError(`${what} contains a control character`);
  rememberPlain(value);
}
