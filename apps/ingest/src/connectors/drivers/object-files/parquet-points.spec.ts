import { DEFAULT_TELEMETRY_LIMITS, parseCsvPoints, type Point } from '@iotwins/telemetry';
import { columnRole, columnsOf, pointsToColumns, rowsToPoints } from './parquet-points';
import { pointsToCsv } from './points-csv';

const points: Point[] = [
  {
    measurement: 'turbine',
    tags: { site: 'north' },
    fields: {
      power: { type: 'float', value: 1.5 },
      rpm: { type: 'integer', value: 9007199254740993n },
      note: { type: 'string', value: 'a, "b"' },
    },
    timestamp: 1795946400123456789n,
  },
  {
    measurement: 'turbine',
    tags: {},
    fields: { power: { type: 'float', value: 2 }, ok: { type: 'boolean', value: false } },
    timestamp: 1795946401000000000n,
  },
];

const options = {
  measurement: 'turbine',
  precision: 'ns' as const,
  defaultTimestamp: 0n,
  limits: DEFAULT_TELEMETRY_LIMITS,
};

describe('points and Parquet columns', () => {
  it('writes typed columns that read back as the same points', () => {
    const { tagKeys, fields } = columnsOf(points);
    expect(tagKeys).toEqual(['site']);
    expect(fields).toEqual([
      { key: 'note', type: 'string' },
      { key: 'ok', type: 'boolean' },
      { key: 'power', type: 'float' },
      { key: 'rpm', type: 'integer' },
    ]);
    const { schema, columns } = pointsToColumns(points, tagKeys, fields, false);
    expect(schema.map((leaf) => `${leaf.name}:${leaf.type}`)).toEqual([
      'time:INT64',
      'site:BYTE_ARRAY',
      'note:BYTE_ARRAY',
      'ok:BOOLEAN',
      'power:DOUBLE',
      'rpm:INT64',
    ]);
    const rows = [0, 1].map((index) =>
      Object.fromEntries(columns.map((column) => [column.name, column.data[index]])),
    );
    const roles = schema.map((leaf) => columnRole(leaf, new Set(tagKeys)));
    const read = rowsToPoints(roles, rows, 1, options);
    expect(read.errors).toEqual([]);
    expect(read.points).toEqual(points);
  });

  it('types plain columns by their Parquet type and refuses what no field holds', () => {
    expect(columnRole({ name: 'v', type: 'INT32' }, new Set())).toEqual({
      kind: 'field',
      name: 'v',
      key: 'v',
      type: 'integer',
    });
    expect(
      columnRole({ name: 'u', type: 'INT64', converted_type: 'UINT_64' }, new Set()),
    ).toMatchObject({ type: 'uinteger' });
    expect(
      columnRole({ name: 'tag:site', type: 'BYTE_ARRAY', converted_type: 'UTF8' }, new Set()),
    ).toEqual({
      kind: 'tag',
      name: 'tag:site',
      key: 'site',
    });
    expect(() =>
      columnRole({ name: 'd', type: 'INT32', converted_type: 'DATE' }, new Set()),
    ).toThrow('column "d" is DATE, which no field type holds');
  });

  it('reports a row without fields or with a bad value by its row number', () => {
    const roles = [
      columnRole({ name: 'time', type: 'INT64' }, new Set()),
      columnRole({ name: 'power', type: 'DOUBLE' }, new Set()),
    ];
    const read = rowsToPoints(
      roles,
      [
        { time: 5n, power: null },
        { time: 6n, power: Number.NaN },
        { time: 7n, power: 1 },
      ],
      10,
      options,
    );
    expect(read.errors).toEqual([
      { row: 10, detail: 'the row has no field values' },
      { row: 11, detail: 'field "power": NaN is not a finite float' },
    ]);
    expect(read.points).toHaveLength(1);
  });
});

describe('points as CSV', () => {
  it('follows the ingest CSV header rules, so the file imports back as the same points', () => {
    const { tagKeys, fields } = columnsOf(points);
    const csv = pointsToCsv(points, tagKeys, fields);
    expect(csv.split('\n')[0]).toBe(
      'time,measurement,tag:site,field:note:string,field:ok:boolean,field:power:float,field:rpm:integer',
    );
    const parsed = parseCsvPoints(csv, {
      precision: 'ns',
      defaultTimestamp: 0n,
      limits: DEFAULT_TELEMETRY_LIMITS,
    });
    expect(parsed.errors).toEqual([]);
    expect(parsed.points).toEqual(points);
  });
});
