import {
  checkPointLimits,
  parseRfc3339Nanoseconds,
  toNanoseconds,
  type FieldType,
  type FieldValue,
  type Point,
  type Precision,
  type TelemetryLimits,
} from '@iotwins/telemetry';

/**
 * Points to and from Parquet columns, without the Parquet library itself (the readers and
 * writers hand rows and columns in and out), so the mapping is unit-tested on its own.
 *
 * A file the platform writes has a `time` column (INT64 TIMESTAMP(NANOS, UTC)), a
 * `measurement` column when it may hold several, one UTF-8 column per tag and one column per
 * field typed as the field (DOUBLE, INT64, INT64 UINT_64, BOOLEAN, UTF-8), null where a point
 * lacks it; key-value metadata `iotwins.tags` lists the tag columns and `iotwins.measurement`
 * names the measurement. Reading accepts the same, plus plain files (pyarrow, pandas): every
 * column that is not `time`, `measurement` or a declared tag is a field typed by its column.
 */

/** The parts of a Parquet schema leaf this mapping reads (hyparquet's SchemaElement). */
export interface ParquetColumnInfo {
  name: string;
  type?: string;
  converted_type?: string;
  logical_type?: { type: string; isSigned?: boolean; bitWidth?: number };
}

export type ColumnRole =
  | { kind: 'time'; name: string; timestamp: boolean }
  | { kind: 'measurement'; name: string }
  | { kind: 'tag'; name: string; key: string }
  | { kind: 'field'; name: string; key: string; type: FieldType };

export const TAGS_METADATA_KEY = 'iotwins.tags';
export const MEASUREMENT_METADATA_KEY = 'iotwins.measurement';

/** The column's role in points, or why it has none (a type no field can hold). */
export function columnRole(column: ParquetColumnInfo, tags: ReadonlySet<string>): ColumnRole {
  const { name } = column;
  if (name === 'time') {
    const timestamp =
      column.logical_type?.type === 'TIMESTAMP' ||
      column.converted_type === 'TIMESTAMP_MILLIS' ||
      column.converted_type === 'TIMESTAMP_MICROS';
    if (!timestamp && column.type !== 'INT64' && !isUtf8(column))
      throw new Error(`column "time" must be a timestamp, an INT64 epoch or RFC 3339 text`);
    return { kind: 'time', name, timestamp };
  }
  if (name === 'measurement') {
    if (!isUtf8(column)) throw new Error('column "measurement" must be UTF-8 text');
    return { kind: 'measurement', name };
  }
  const tagKey = name.startsWith('tag:') ? name.slice(4) : tags.has(name) ? name : undefined;
  if (tagKey !== undefined) {
    if (!isUtf8(column)) throw new Error(`tag column "${name}" must be UTF-8 text`);
    return { kind: 'tag', name, key: tagKey };
  }
  const key = name.startsWith('field:') ? name.slice(6) : name;
  return { kind: 'field', name, key, type: fieldTypeOf(column) };
}

function isUtf8(column: ParquetColumnInfo): boolean {
  return (
    column.type === 'BYTE_ARRAY' &&
    (column.converted_type === 'UTF8' ||
      column.logical_type?.type === 'STRING' ||
      column.logical_type?.type === 'ENUM')
  );
}

function fieldTypeOf(column: ParquetColumnInfo): FieldType {
  const unsigned =
    (column.logical_type?.type === 'INTEGER' && column.logical_type.isSigned === false) ||
    /^UINT_/.test(column.converted_type ?? '');
  switch (column.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
    case 'INT64':
      if (column.logical_type && !['INTEGER'].includes(column.logical_type.type)) break; // dates, times, decimals: no field type holds them
      if (column.converted_type && !/^U?INT_/.test(column.converted_type)) break;
      return unsigned ? 'uinteger' : 'integer';
    case 'FLOAT':
    case 'DOUBLE':
      return 'float';
    case 'BYTE_ARRAY':
      if (isUtf8(column)) return 'string';
      break;
    case undefined: // a group (nested column)
    default: // FIXED_LEN_BYTE_ARRAY, INT96
      break;
  }
  const kind = column.logical_type?.type ?? column.converted_type ?? column.type ?? 'group';
  throw new Error(`column "${column.name}" is ${kind}, which no field type holds`);
}

export interface RowsToPointsOptions {
  /** Measurement of rows without a `measurement` column (configuration, then file metadata). */
  measurement: string | undefined;
  /** Unit of a plain INT64 `time` column. */
  precision: Precision;
  /** Time of rows without one (the file's, so a re-import gives the same points). */
  defaultTimestamp: bigint;
  limits: TelemetryLimits;
}

export interface RowError {
  /** 1-based row number in the file. */
  row: number;
  detail: string;
}

/**
 * Rows of one row group as points. Timestamps arrive as nanoseconds (bigint) from the
 * reader's timestamp parsers; `firstRow` is the 1-based number of the first row, for errors.
 */
export function rowsToPoints(
  roles: readonly ColumnRole[],
  rows: readonly Record<string, unknown>[],
  firstRow: number,
  options: RowsToPointsOptions,
): { points: Point[]; errors: RowError[] } {
  const points: Point[] = [];
  const errors: RowError[] = [];
  rows.forEach((row, index) => {
    try {
      const point: Point = {
        measurement: options.measurement ?? '',
        tags: {},
        fields: {},
        timestamp: options.defaultTimestamp,
      };
      for (const role of roles) {
        const value = row[role.name];
        if (value === null || value === undefined) continue;
        switch (role.kind) {
          case 'time':
            point.timestamp = timeOf(value, role.timestamp, options.precision);
            break;
          case 'measurement':
            point.measurement = String(value);
            break;
          case 'tag':
            if (value !== '') point.tags[role.key] = String(value);
            break;
          case 'field':
            point.fields[role.key] = fieldOf(value, role.type, role.key);
            break;
        }
      }
      if (!point.measurement)
        throw new Error('no measurement: add a measurement column or configure one');
      if (Object.keys(point.fields).length === 0) throw new Error('the row has no field values');
      checkPointLimits(point, options.limits);
      points.push(point);
    } catch (error) {
      errors.push({ row: firstRow + index, detail: (error as Error).message });
    }
  });
  return { points, errors };
}

function timeOf(value: unknown, timestamp: boolean, precision: Precision): bigint {
  if (typeof value === 'bigint') return timestamp ? value : toNanoseconds(value, precision);
  if (typeof value === 'number' && Number.isInteger(value))
    return timestamp ? BigInt(value) : toNanoseconds(BigInt(value), precision);
  if (typeof value === 'string') {
    const parsed = parseRfc3339Nanoseconds(value);
    if (parsed === undefined) throw new Error(`time "${value.slice(0, 64)}" is not RFC 3339`);
    return parsed;
  }
  throw new Error('time is not a timestamp');
}

function fieldOf(value: unknown, type: FieldType, key: string): FieldValue {
  switch (type) {
    case 'float':
      if (typeof value === 'number' && Number.isFinite(value)) return { type, value };
      throw new Error(`field "${key}": ${String(value)} is not a finite float`);
    case 'integer':
    case 'uinteger':
      return { type, value: BigInt(value as bigint | number) };
    case 'boolean':
      return { type, value: Boolean(value) };
    case 'string':
      return { type, value: String(value) };
  }
}

/** A field column of a file to write: its key and the type its points give it. */
export interface FieldColumn {
  key: string;
  type: FieldType;
}

export interface ParquetSchemaLeaf {
  name: string;
  type: 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'BYTE_ARRAY';
  repetition_type: 'REQUIRED' | 'OPTIONAL';
  converted_type?: 'UTF8' | 'UINT_64';
  logical_type?:
    | { type: 'TIMESTAMP'; isAdjustedToUTC: boolean; unit: 'NANOS' }
    | { type: 'INTEGER'; bitWidth: 64; isSigned: false }
    | { type: 'STRING' };
}

/** Columns (and their schema) of points to write; `withMeasurement` adds that column. */
export function pointsToColumns(
  points: readonly Point[],
  tagKeys: readonly string[],
  fields: readonly FieldColumn[],
  withMeasurement: boolean,
): { schema: ParquetSchemaLeaf[]; columns: { name: string; data: unknown[] }[] } {
  const schema: ParquetSchemaLeaf[] = [
    {
      name: 'time',
      type: 'INT64',
      repetition_type: 'REQUIRED',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' },
    },
  ];
  const columns: { name: string; data: unknown[] }[] = [
    { name: 'time', data: points.map((point) => point.timestamp) },
  ];
  if (withMeasurement) {
    schema.push(stringLeaf('measurement', 'REQUIRED'));
    columns.push({ name: 'measurement', data: points.map((point) => point.measurement) });
  }
  for (const key of tagKeys) {
    schema.push(stringLeaf(key, 'OPTIONAL'));
    columns.push({ name: key, data: points.map((point) => point.tags[key] ?? null) });
  }
  for (const field of fields) {
    schema.push(fieldLeaf(field));
    columns.push({
      name: field.key,
      data: points.map((point) => {
        const value = point.fields[field.key];
        return value && value.type === field.type ? value.value : null;
      }),
    });
  }
  return { schema, columns };
}

function stringLeaf(name: string, repetition: 'REQUIRED' | 'OPTIONAL'): ParquetSchemaLeaf {
  return { name, type: 'BYTE_ARRAY', repetition_type: repetition, converted_type: 'UTF8' };
}

function fieldLeaf(field: FieldColumn): ParquetSchemaLeaf {
  const name = field.key;
  switch (field.type) {
    case 'float':
      return { name, type: 'DOUBLE', repetition_type: 'OPTIONAL' };
    case 'integer':
      return { name, type: 'INT64', repetition_type: 'OPTIONAL' };
    case 'uinteger':
      return {
        name,
        type: 'INT64',
        repetition_type: 'OPTIONAL',
        converted_type: 'UINT_64',
        logical_type: { type: 'INTEGER', bitWidth: 64, isSigned: false },
      };
    case 'boolean':
      return { name, type: 'BOOLEAN', repetition_type: 'OPTIONAL' };
    case 'string':
      return stringLeaf(name, 'OPTIONAL');
  }
}

/** Tag keys and field columns of a set of points, sorted, for a file's schema. */
export function columnsOf(points: readonly Point[]): {
  tagKeys: string[];
  fields: FieldColumn[];
} {
  const tagKeys = new Set<string>();
  const fields = new Map<string, FieldType>();
  for (const point of points) {
    for (const key of Object.keys(point.tags)) tagKeys.add(key);
    for (const [key, value] of Object.entries(point.fields))
      if (!fields.has(key)) fields.set(key, value.type);
  }
  return {
    tagKeys: [...tagKeys].sort(),
    fields: [...fields.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, type]) => ({ key, type })),
  };
}
