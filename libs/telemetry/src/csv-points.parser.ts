import { parse } from 'csv-parse/sync';
import {
  INT64_MAX,
  INT64_MIN,
  UINT64_MAX,
  toNanoseconds,
  type FieldType,
  type FieldValue,
  type Point,
  type Precision,
} from './point';
import { checkPointLimits } from './point.validation';
import { parseRfc3339Nanoseconds } from './rfc3339';
import type { LineError } from './line-protocol.parser';
import type { TelemetryLimits } from './telemetry-limits';

export interface CsvPointsOptions {
  /** Measurement of rows when the CSV has no `measurement` column. */
  measurement?: string;
  /** Unit of numeric values in the `time` column. */
  precision: Precision;
  defaultTimestamp: bigint;
  limits: TelemetryLimits;
}

type Column =
  | { kind: 'time' }
  | { kind: 'measurement' }
  | { kind: 'tag'; name: string }
  | { kind: 'field'; name: string; type: FieldType };

const FIELD_TYPES: readonly FieldType[] = ['float', 'integer', 'uinteger', 'boolean', 'string'];

/** The header is malformed; nothing in the body can be read. */
export class CsvHeaderError extends Error {}

/**
 * Reads CSV whose header names each column's role: `time`, `measurement`, `tag:<name>` and
 * `field:<name>[:<type>]` (type float by default; integer, uinteger, boolean, string). An
 * empty cell leaves that tag or field out of the row. Like a JSON batch, a CSV batch is all
 * or nothing; every bad row is reported with its line number.
 */
export function parseCsvPoints(
  text: string,
  options: CsvPointsOptions,
): { points: Point[]; errors: LineError[] } {
  let records: string[][];
  try {
    records = parse(text, {
      relax_column_count: false,
      skip_empty_lines: true,
      bom: true,
      trim: true,
    }) as string[][];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    return {
      points: [],
      errors: [{ line: line ?? 1, detail: `not valid CSV: ${(error as Error).message}` }],
    };
  }
  const [header, ...rows] = records;
  if (!header) throw new CsvHeaderError('the CSV has no header row');
  const columns = header.map(readColumn);
  const fieldColumns = columns.filter((column) => column.kind === 'field');
  if (fieldColumns.length === 0)
    throw new CsvHeaderError('the header names no field:<name> column');
  const hasMeasurement = columns.some((column) => column.kind === 'measurement');
  if (!hasMeasurement && !options.measurement) {
    throw new CsvHeaderError('name a measurement column or give the measurement query parameter');
  }
  if (rows.length > options.limits.maxPointsPerBatch) {
    return {
      points: [],
      errors: [
        {
          line: 1,
          detail: `${rows.length} rows exceed the limit of ${options.limits.maxPointsPerBatch} per batch`,
        },
      ],
    };
  }

  const points: Point[] = [];
  const errors: LineError[] = [];
  rows.forEach((row, index) => {
    const line = index + 2;
    try {
      const point: Point = {
        measurement: options.measurement ?? '',
        tags: {},
        fields: {},
        timestamp: options.defaultTimestamp,
      };
      row.forEach((cell, position) => {
        const column = columns[position]!;
        if (cell === '') return;
        switch (column.kind) {
          case 'time':
            point.timestamp = readTime(cell, options.precision);
            break;
          case 'measurement':
            point.measurement = cell;
            break;
          case 'tag':
            point.tags[column.name] = cell;
            break;
          case 'field':
            point.fields[column.name] = readField(cell, column.type, column.name);
            break;
        }
      });
      checkPointLimits(point, options.limits);
      points.push(point);
    } catch (error) {
      errors.push({ line, detail: (error as Error).message });
    }
  });
  return { points, errors };
}

function readColumn(name: string): Column {
  if (name === 'time') return { kind: 'time' };
  if (name === 'measurement') return { kind: 'measurement' };
  const [role, key, type, ...rest] = name.split(':');
  if (role === 'tag' && key && type === undefined) return { kind: 'tag', name: key };
  if (role === 'field' && key && rest.length === 0) {
    const fieldType = (type ?? 'float') as FieldType;
    if (!FIELD_TYPES.includes(fieldType)) {
      throw new CsvHeaderError(`column "${name}": type must be one of ${FIELD_TYPES.join(', ')}`);
    }
    return { kind: 'field', name: key, type: fieldType };
  }
  throw new CsvHeaderError(
    `column "${name}" is not time, measurement, tag:<name> or field:<name>[:<type>]`,
  );
}

function readTime(cell: string, precision: Precision): bigint {
  if (/^-?\d+$/.test(cell)) return toNanoseconds(BigInt(cell), precision);
  const nanos = parseRfc3339Nanoseconds(cell);
  if (nanos === undefined)
    throw new Error(`time "${cell}" is neither RFC 3339 nor an integer epoch`);
  return nanos;
}

function readField(cell: string, type: FieldType, name: string): FieldValue {
  switch (type) {
    case 'float': {
      const value = Number(cell);
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(cell) || !Number.isFinite(value)) {
        throw new Error(`field "${name}": "${cell}" is not a number`);
      }
      return { type, value };
    }
    case 'integer':
    case 'uinteger': {
      if (!/^-?\d+$/.test(cell)) throw new Error(`field "${name}": "${cell}" is not an integer`);
      const value = BigInt(cell);
      const [min, max] = type === 'integer' ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX];
      if (value < min || value > max)
        throw new Error(`field "${name}": ${cell} is out of the ${type} range`);
      return { type, value };
    }
    case 'boolean': {
      const lower = cell.toLowerCase();
      if (lower !== 'true' && lower !== 'false')
        throw new Error(`field "${name}": "${cell}" is not true or false`);
      return { type, value: lower === 'true' };
    }
    case 'string':
      return { type, value: cell };
  }
}
