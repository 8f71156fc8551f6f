import { formatRfc3339Nanoseconds } from '@iotwins/telemetry';
import { NumberText, type InfluxClient, type InfluxQueryResult } from '../influx/influx.client';
import { tenantDatabase } from '../influx/influxql';
import { buildExportStatement } from './influxql.builder';
import type { FieldKey } from './query.service';
import type { PointsQuery } from './points-query';

const CSV_TYPE: Record<FieldKey['type'], string> = {
  float: 'float',
  integer: 'integer',
  unsigned: 'uinteger',
  boolean: 'boolean',
  string: 'string',
};

function csvCell(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof NumberText) return value.text;
  return String(value);
}

/**
 * Starts the export's query and reads its first chunk, so that InfluxDB refusing the query or
 * being down surfaces here, while the answer can still be a proper problem (the caller reads
 * the first item of the stream before it sends a status), and not as a cut-off 200.
 */
async function openChunks(
  influx: InfluxClient,
  tenant: string,
  query: Pick<PointsQuery, 'measurement' | 'startNs' | 'endNs' | 'tags'>,
): Promise<AsyncIterable<InfluxQueryResult> | InfluxQueryResult[]> {
  const statement = buildExportStatement(tenantDatabase(tenant), query);
  const iterator = influx.queryChunks(statement, tenantDatabase(tenant));
  let first: IteratorResult<InfluxQueryResult>;
  try {
    first = await iterator.next();
  } catch (error) {
    // A tenant that never wrote has no database yet: its export is empty, not an error.
    if (/database not found/i.test((error as Error).message)) return [];
    throw error;
  }
  return {
    async *[Symbol.asyncIterator]() {
      if (first.done) return;
      yield first.value;
      yield* iterator;
    },
  };
}

/**
 * Streams every point of a range as CSV in the same column format the CSV write API reads
 * (time, tag:<key>, field:<name>:<type>), one InfluxDB chunk in memory at a time.
 */
export async function* exportCsv(
  influx: InfluxClient,
  tenant: string,
  query: Pick<PointsQuery, 'measurement' | 'startNs' | 'endNs' | 'tags'>,
  tagKeys: string[],
  fieldKeys: FieldKey[],
): AsyncGenerator<string> {
  const chunks = await openChunks(influx, tenant, query);
  yield `${['time', ...tagKeys.map((k) => csvCell(`tag:${k}`)), ...fieldKeys.map((f) => csvCell(`field:${f.name}:${CSV_TYPE[f.type]}`))].join(',')}\n`;
  for await (const chunk of chunks) {
    let lines = '';
    for (const series of chunk.results?.[0]?.series ?? []) {
      const tags = series.tags ?? {};
      const positions = fieldKeys.map((field) => series.columns.indexOf(field.name));
      for (const row of series.values) {
        const cells = [formatRfc3339Nanoseconds(BigInt(cellText(row[0])))];
        for (const key of tagKeys) cells.push(csvCell(tags[key] ?? ''));
        for (const position of positions)
          cells.push(position < 0 ? '' : csvCell(cellText(row[position])));
        lines += `${cells.join(',')}\n`;
      }
    }
    if (lines.length > 0) yield lines;
  }
}

/** Streams every point of a range as newline-delimited JSON, one point per line. */
export async function* exportNdjson(
  influx: InfluxClient,
  tenant: string,
  query: Pick<PointsQuery, 'measurement' | 'startNs' | 'endNs' | 'tags'>,
  fieldKeys: FieldKey[],
): AsyncGenerator<string> {
  const types = new Map(fieldKeys.map((field) => [field.name, field.type]));
  const chunks = await openChunks(influx, tenant, query);
  // Something is yielded before the first point, so the caller can prime the stream (see
  // openChunks) without reading a whole chunk ahead.
  yield '';
  for await (const chunk of chunks) {
    let lines = '';
    for (const series of chunk.results?.[0]?.series ?? []) {
      const tags = Object.fromEntries(
        Object.entries(series.tags ?? {}).filter(([, v]) => v !== ''),
      );
      for (const row of series.values) {
        const fields: Record<string, unknown> = {};
        series.columns.forEach((column, index) => {
          const value = row[index];
          if (index === 0 || value === null || value === undefined) return;
          const type = types.get(column);
          if (value instanceof NumberText) {
            fields[column] =
              type === 'integer' || type === 'unsigned'
                ? { type: type === 'integer' ? 'integer' : 'uinteger', value: value.text }
                : Number(value.text);
          } else {
            fields[column] = value;
          }
        });
        lines += `${JSON.stringify({ measurement: query.measurement, tags, fields, time: formatRfc3339Nanoseconds(BigInt(cellText(row[0]))) })}\n`;
      }
    }
    if (lines.length > 0) yield lines;
  }
}
