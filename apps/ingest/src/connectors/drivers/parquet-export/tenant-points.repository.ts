import { parse as parseLossless } from 'lossless-json';
import { influxReaderCredentials } from '@iotwins/auth';
import {
  parseRfc3339Nanoseconds,
  type FieldType,
  type FieldValue,
  type Point,
} from '@iotwins/telemetry';

const FIELD_TYPES: Record<string, FieldType> = {
  float: 'float',
  integer: 'integer',
  unsigned: 'uinteger',
  boolean: 'boolean',
  string: 'string',
};

/** Rows per chunk of InfluxDB's streamed answer. */
const CHUNK_SIZE = 10_000;

interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

interface InfluxAnswer {
  results?: { series?: InfluxSeries[]; error?: string; partial?: boolean }[];
  error?: string;
}

/**
 * A tenant's points as its read-only InfluxDB user sees them (READ on its own database only;
 * docs/security.md): InfluxDB itself refuses anything outside the tenant, whatever a query
 * names. The only place the export speaks InfluxQL.
 */
export class TenantPointsRepository {
  private readonly user: string;
  private readonly password: string;

  constructor(
    private readonly url: string,
    readerSecret: string,
    private readonly tenant: string,
  ) {
    ({ user: this.user, password: this.password } = influxReaderCredentials(readerSecret, tenant));
  }

  /** Field types of a measurement, as InfluxDB stores them. */
  async fieldTypes(measurement: string): Promise<Map<string, FieldType>> {
    const types = new Map<string, FieldType>();
    for await (const series of this.query(`SHOW FIELD KEYS FROM ${identifier(measurement)}`, false))
      for (const [key, type] of series.values)
        types.set(String(key), FIELD_TYPES[String(type)] ?? 'string');
    return types;
  }

  /** Every point of a measurement in [start, end), streamed from InfluxDB chunk by chunk. */
  async *points(
    measurement: string,
    start: string,
    end: string,
    types: Map<string, FieldType>,
  ): AsyncGenerator<Point[]> {
    const from = parseRfc3339Nanoseconds(start)!;
    const to = parseRfc3339Nanoseconds(end)!;
    const statement = `SELECT * FROM ${identifier(measurement)} WHERE time >= ${from} AND time < ${to} GROUP BY *`;
    for await (const series of this.query(statement, true)) {
      const tags = Object.fromEntries(
        Object.entries(series.tags ?? {}).filter(([, value]) => value !== ''),
      );
      const timeIndex = series.columns.indexOf('time');
      yield series.values.map((row) => {
        const fields: Record<string, FieldValue> = {};
        series.columns.forEach((column, index) => {
          const raw = row[index];
          if (index === timeIndex || raw === null || raw === undefined) return;
          const type = types.get(column) ?? 'string';
          fields[column] = fieldValue(type, raw);
        });
        return { measurement, tags, fields, timestamp: BigInt(String(row[timeIndex])) };
      });
    }
  }

  private async *query(statement: string, chunked: boolean): AsyncGenerator<InfluxSeries> {
    const url = new URL('/query', this.url);
    url.searchParams.set('db', `iotwins_${this.tenant}`);
    url.searchParams.set('epoch', 'ns');
    if (chunked) {
      url.searchParams.set('chunked', 'true');
      url.searchParams.set('chunk_size', String(CHUNK_SIZE));
    }
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ q: statement }).toString(),
    });
    if (response.status === 401 || response.status === 403)
      throw new Error(
        `InfluxDB refused the tenant's reader (${response.status}): the timeseries app provisions it within a minute of the tenant's first write`,
      );
    if (!response.ok || !response.body)
      throw new Error(`InfluxDB answered ${response.status} to the export query`);
    // A chunked answer is one JSON document per line; numbers are kept exact (64-bit integers).
    let pending = '';
    const decoder = new TextDecoder();
    for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(part, { stream: true });
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        yield* seriesOf(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    }
    pending += decoder.decode();
    if (pending.trim()) yield* seriesOf(pending);
  }
}

function* seriesOf(text: string): Generator<InfluxSeries> {
  if (!text.trim()) return;
  const answer = parseLossless(text, undefined, (value) => value) as InfluxAnswer;
  if (answer.error) throw new Error(`InfluxDB: ${answer.error}`);
  for (const result of answer.results ?? []) {
    if (result.error) throw new Error(`InfluxDB: ${result.error}`);
    yield* result.series ?? [];
  }
}

/** A value of InfluxDB's JSON (numbers kept as their digits) as a typed field. */
function fieldValue(type: FieldType, raw: unknown): FieldValue {
  switch (type) {
    case 'float':
      return { type, value: Number(raw) };
    case 'integer':
    case 'uinteger':
      return { type, value: BigInt(String(raw)) };
    case 'boolean':
      return { type, value: raw === true || raw === 'true' };
    case 'string':
      return { type, value: String(raw) };
  }
}

/** An InfluxQL identifier in double quotes, with quotes and backslashes escaped. */
function identifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
