import { CsvHeaderError, parseCsvPoints, type CsvPointsOptions } from './csv-points.parser';
import { DEFAULT_TELEMETRY_LIMITS } from './telemetry-limits';

const options: CsvPointsOptions = {
  precision: 'ms',
  defaultTimestamp: 5n,
  limits: DEFAULT_TELEMETRY_LIMITS,
};

describe('parseCsvPoints', () => {
  it('reads typed columns, quoted cells and both time forms', () => {
    const csv = [
      'time,measurement,tag:site,field:power,field:rpm:integer,field:ok:boolean,field:note:string',
      '2026-11-24T10:00:00.000000001Z,turbine,north,1.5,1200,true,"a, ""quoted"" note"',
      '1795514400000,turbine,,2,,FALSE,',
    ].join('\n');
    const { points, errors } = parseCsvPoints(csv, options);
    expect(errors).toEqual([]);
    expect(points).toEqual([
      {
        measurement: 'turbine',
        tags: { site: 'north' },
        fields: {
          power: { type: 'float', value: 1.5 },
          rpm: { type: 'integer', value: 1200n },
          ok: { type: 'boolean', value: true },
          note: { type: 'string', value: 'a, "quoted" note' },
        },
        timestamp: 1795514400000000001n,
      },
      {
        measurement: 'turbine',
        tags: {},
        fields: { power: { type: 'float', value: 2 }, ok: { type: 'boolean', value: false } },
        timestamp: 1795514400000000000n,
      },
    ]);
  });

  it('takes the measurement from the options when there is no column', () => {
    const { points } = parseCsvPoints('field:v\n1', { ...options, measurement: 'grid' });
    expect(points[0]).toMatchObject({ measurement: 'grid', timestamp: 5n });
  });

  it('reports each bad row with its line number', () => {
    const { errors } = parseCsvPoints(
      'measurement,field:v,field:n:integer\nm,1,1\nm,abc,1\nm,2,1.5\nm,,',
      options,
    );
    expect(errors).toEqual([
      { line: 3, detail: 'field "v": "abc" is not a number' },
      { line: 4, detail: 'field "n": "1.5" is not an integer' },
      { line: 5, detail: 'a point needs at least one field' },
    ]);
  });

  it('refuses a header it cannot read', () => {
    expect(() => parseCsvPoints('time,value\n1,2', options)).toThrow(CsvHeaderError);
    expect(() => parseCsvPoints('field:v:complex\n1', { ...options, measurement: 'm' })).toThrow(
      'column "field:v:complex": type must be one of float, integer, uinteger, boolean, string',
    );
    expect(() => parseCsvPoints('field:v\n1', options)).toThrow('name a measurement column');
  });

  it('reports a ragged row as invalid CSV', () => {
    const { errors, points } = parseCsvPoints('measurement,field:v\nm,1,extra', options);
    expect(points).toEqual([]);
    expect(errors[0]!.detail).toMatch(/^not valid CSV/);
  });
});
