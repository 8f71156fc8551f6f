import { formatRfc3339Nanoseconds, type Point } from '@iotwins/telemetry';
import type { FieldColumn } from './parquet-points';

/**
 * Points as CSV under the ingest CSV header rules (`time`, `measurement`, `tag:<name>`,
 * `field:<name>:<type>`), so a file a sink writes can be imported again as it is. Times are
 * RFC 3339 with nine fraction digits; a tag or field a point lacks is an empty cell.
 */
export function pointsToCsv(
  points: readonly Point[],
  tagKeys: readonly string[],
  fields: readonly FieldColumn[],
): string {
  const header = [
    'time',
    'measurement',
    ...tagKeys.map((key) => `tag:${key}`),
    ...fields.map((field) => `field:${field.key}:${field.type}`),
  ];
  const rows = points.map((point) => [
    formatRfc3339Nanoseconds(point.timestamp),
    point.measurement,
    ...tagKeys.map((key) => point.tags[key] ?? ''),
    ...fields.map((field) => {
      const value = point.fields[field.key];
      return value && value.type === field.type ? String(value.value) : '';
    }),
  ]);
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

function csvCell(value: string): string {
  // Quoted when needed; csv-parse (trim on) would also strip unquoted edge spaces.
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
