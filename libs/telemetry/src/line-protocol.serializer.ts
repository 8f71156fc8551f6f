import type { FieldValue, Point } from './point';

const escapeMeasurement = (value: string): string => value.replace(/[, ]/g, (char) => `\\${char}`);
const escapeKey = (value: string): string => value.replace(/[,= ]/g, (char) => `\\${char}`);
const escapeString = (value: string): string => value.replace(/["\\]/g, (char) => `\\${char}`);

function formatField(field: FieldValue): string {
  switch (field.type) {
    case 'float':
      // The shortest text that reads back as the same double; without a suffix, line
      // protocol reads a number as a float, so "1" stays a float. String(-0) is "0", which
      // would lose the sign InfluxDB keeps.
      return Object.is(field.value, -0) ? '-0' : String(field.value);
    case 'integer':
      return `${field.value}i`;
    case 'uinteger':
      return `${field.value}u`;
    case 'boolean':
      return field.value ? 'true' : 'false';
    case 'string':
      return `"${escapeString(field.value)}"`;
  }
}

/**
 * One point as a line of InfluxDB line protocol, timestamp in nanoseconds. Tags are sorted
 * by key, as InfluxDB recommends for its write path.
 */
export function serializePoint(point: Point): string {
  if (point.line !== undefined) return point.line;
  let line = escapeMeasurement(point.measurement);
  for (const key of Object.keys(point.tags).sort()) {
    line += `,${escapeKey(key)}=${escapeKey(point.tags[key]!)}`;
  }
  let separator = ' ';
  for (const [key, field] of Object.entries(point.fields)) {
    line += `${separator}${escapeKey(key)}=${formatField(field)}`;
    separator = ',';
  }
  return `${line} ${point.timestamp}`;
}

export function serializePoints(points: readonly Point[]): string {
  return points.map(serializePoint).join('\n');
}
