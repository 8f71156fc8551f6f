import { INT64_MAX, type Point } from './point';
import type { TelemetryLimits } from './telemetry-limits';
import { MAX_BYTES_PER_UNIT, MAX_SERIES_KEY_BYTES, checkSeriesKeyBytes } from './series-key';

/** A point broke a rule of the platform; the message says which, for the caller. */
export class PointError extends Error {}

/**
 * Rules every point obeys, whichever path it came in by; it also applies the store's type
 * rules (unsigned as integer), changing the point in place. Names must survive a round trip
 * through line protocol: a trailing backslash would escape the separator after it.
 */
export function checkPointLimits(point: Point, limits: TelemetryLimits): void {
  const tagKeys = Object.keys(point.tags);
  const fieldKeys = Object.keys(point.fields);
  checkPointShape(
    {
      measurement: point.measurement,
      tagKeys,
      tagValues: tagKeys.map((key) => point.tags[key]!),
      fieldKeys,
      timestamp: point.timestamp,
    },
    limits,
  );
  for (const key of fieldKeys) {
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
  checkPointSeriesKey(point.measurement, tagKeys, point.tags, fieldKeys);
}

const escapedMeasurement = /[, ]/g;
const escapedKey = /[,= ]/g;

/** The series key as serializePoint writes it (escaped), against InfluxDB's limit. */
function checkPointSeriesKey(
  measurement: string,
  tagKeys: readonly string[],
  tags: Record<string, string>,
  fieldKeys: readonly string[],
): void {
  let units = measurement.length;
  for (const key of tagKeys) units += key.length + tags[key]!.length + 2;
  let longestField = 0;
  for (const key of fieldKeys) longestField = Math.max(longestField, key.length);
  if ((units + longestField) * MAX_BYTES_PER_UNIT + 4 <= MAX_SERIES_KEY_BYTES) return;
  const bytes = (text: string, escaped: RegExp): number =>
    Buffer.byteLength(text) + (text.match(escaped)?.length ?? 0);
  let keyBytes = bytes(measurement, escapedMeasurement);
  for (const key of tagKeys) keyBytes += bytes(key, escapedKey) + bytes(tags[key]!, escapedKey) + 2;
  let longestFieldBytes = 0;
  for (const key of fieldKeys)
    longestFieldBytes = Math.max(longestFieldBytes, bytes(key, escapedKey));
  checkSeriesKeyBytes(keyBytes, longestFieldBytes);
}

/**
 * Scanners stop at the first key past a count limit instead of reading the rest of a line
 * (a 1 MB line may hold 100,000 fields), so they cannot say how many there were.
 */
export function tooManyTags(limits: TelemetryLimits): PointError {
  return new PointError(
    `more than ${limits.maxTagsPerPoint} tags: the limit is ${limits.maxTagsPerPoint}`,
  );
}

export function tooManyFields(limits: TelemetryLimits): PointError {
  return new PointError(
    `more than ${limits.maxFieldsPerPoint} fields: the limit is ${limits.maxFieldsPerPoint}`,
  );
}

/** What the rules look at, whether a point object was built or a line only scanned. */
export interface PointShape {
  measurement: string;
  tagKeys: string[];
  tagValues: string[];
  fieldKeys: string[];
  timestamp: bigint;
}

/** The rules on names, counts, lengths and the time range, in a fixed order. */
export function checkPointShape(shape: PointShape, limits: TelemetryLimits): void {
  checkName('measurement', shape.measurement, limits);
  if (shape.tagKeys.length > limits.maxTagsPerPoint) {
    throw new PointError(
      `${shape.tagKeys.length} tags exceed the limit of ${limits.maxTagsPerPoint}`,
    );
  }
  shape.tagKeys.forEach((key, index) => {
    checkName('tag key', key, limits);
    const value = shape.tagValues[index]!;
    if (value.length === 0) throw new PointError(`tag "${key}" has an empty value`);
    if (value.length > limits.maxTagValueLength) {
      throw new PointError(`tag "${key}" is longer than ${limits.maxTagValueLength} characters`);
    }
    checkPlain(`tag "${key}" value`, value);
  });
  if (shape.fieldKeys.length === 0) throw new PointError('a point needs at least one field');
  if (shape.fieldKeys.length > limits.maxFieldsPerPoint) {
    throw new PointError(
      `${shape.fieldKeys.length} fields exceed the limit of ${limits.maxFieldsPerPoint}`,
    );
  }
  for (const key of shape.fieldKeys) checkName('field key', key, limits);
  if (shape.timestamp < limits.minTimestampNs || shape.timestamp > limits.maxTimestampNs) {
    throw new PointError(`timestamp ${shape.timestamp} ns is outside the accepted range`);
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
  // InfluxDB reads a line that starts with "#" as a comment, and no escape makes it a name.
  if (what === 'measurement' && name.startsWith('#'))
    throw new PointError('measurement may not start with "#" (line protocol reads a comment)');
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
