import { formatRfc3339Nanoseconds } from '@iotwins/telemetry';
import { NumberText, type InfluxQueryResult } from '../influx/influx.client';

/** InfluxDB's names of field types, as SHOW FIELD KEYS gives them. */
export type InfluxFieldType = 'float' | 'integer' | 'unsigned' | 'boolean' | 'string';

/** A field value in the same shape the write API takes, so what goes in comes out alike. */
export type FieldOut =
  | number
  | boolean
  | string
  | { type: 'integer' | 'uinteger'; value: number | string };

export interface PointOut {
  time: string;
  fields: Record<string, FieldOut>;
}

export interface SeriesOut {
  tags: Record<string, string>;
  points: PointOut[];
}

/**
 * Turns InfluxDB rows into points. Raw values keep their written type (integers exact, as a
 * string past 2^53); aggregated values are numbers. Null cells (fields absent at that time)
 * are left out.
 */
export function convertSeries(
  result: InfluxQueryResult,
  fieldTypes: ReadonlyMap<string, InfluxFieldType>,
  aggregated: boolean,
): SeriesOut[] {
  const out: SeriesOut[] = [];
  for (const series of result.results?.[0]?.series ?? []) {
    const points: PointOut[] = [];
    for (const row of series.values) {
      const fields: Record<string, FieldOut> = {};
      series.columns.forEach((column, index) => {
        if (index === 0) return;
        const value = row[index];
        if (value === null || value === undefined) return;
        fields[column] = aggregated
          ? aggregateValue(value)
          : rawValue(value, fieldTypes.get(column));
      });
      if (Object.keys(fields).length === 0 && !aggregated) continue;
      points.push({ time: formatRfc3339Nanoseconds(BigInt(String(row[0]))), fields });
    }
    out.push({ tags: stripEmptyTags(series.tags ?? {}), points });
  }
  return out;
}

function rawValue(value: unknown, type: InfluxFieldType | undefined): FieldOut {
  if (value instanceof NumberText) {
    if (type === 'integer' || type === 'unsigned') {
      const big = BigInt(value.text);
      const exact =
        big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER);
      return {
        type: type === 'integer' ? 'integer' : 'uinteger',
        value: exact ? Number(big) : big.toString(),
      };
    }
    return Number(value.text);
  }
  return value as boolean | string;
}

function aggregateValue(value: unknown): FieldOut {
  return value instanceof NumberText ? Number(value.text) : (value as boolean | string);
}

/** GROUP BY * reports tags a series lacks as empty strings; they are not tags of the point. */
function stripEmptyTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([, value]) => value !== ''));
}

/** Rows of SHOW ... results as plain strings (names, keys, values). */
export function firstColumn(result: InfluxQueryResult): string[] {
  return (result.results?.[0]?.series ?? []).flatMap((series) =>
    series.values.map((row) => String(row[0])),
  );
}

export function columnOf(result: InfluxQueryResult, column: string): string[] {
  return (result.results?.[0]?.series ?? []).flatMap((series) => {
    const index = series.columns.indexOf(column);
    return series.values.map((row) => String(row[index]));
  });
}
