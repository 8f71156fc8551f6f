import { parseJsonPoints, type JsonPointsOptions } from './json-points.parser';
import { DEFAULT_TELEMETRY_LIMITS } from './telemetry-limits';

const options: JsonPointsOptions = {
  precision: 'ms',
  defaultTimestamp: 7n,
  limits: { ...DEFAULT_TELEMETRY_LIMITS, unsignedAsInteger: false },
};

describe('parseJsonPoints', () => {
  it('normalises typed fields and both time forms', () => {
    const { points, errors } = parseJsonPoints(
      {
        points: [
          {
            measurement: 'pq',
            tags: { meter: 'm1' },
            fields: {
              voltage: 230.1,
              ok: true,
              phase: 'L1',
              samples: { type: 'integer', value: '9223372036854775807' },
              n: { type: 'uinteger', value: 5 },
              f: { type: 'float', value: 2 },
            },
            time: '2026-11-24T10:00:00.000000001Z',
          },
          { measurement: 'pq', fields: { v: 1 }, time: 1795514400000 },
          { measurement: 'pq', fields: { v: 1 } },
        ],
      },
      options,
    );
    expect(errors).toEqual([]);
    expect(points[0]).toEqual({
      measurement: 'pq',
      tags: { meter: 'm1' },
      fields: {
        voltage: { type: 'float', value: 230.1 },
        ok: { type: 'boolean', value: true },
        phase: { type: 'string', value: 'L1' },
        samples: { type: 'integer', value: 9223372036854775807n },
        n: { type: 'uinteger', value: 5n },
        f: { type: 'float', value: 2 },
      },
      timestamp: 1795514400000000001n,
    });
    expect(points[1]!.timestamp).toBe(1795514400000000000n);
    expect(points[2]!.timestamp).toBe(7n);
  });

  it('lists every bad point with its index and pointer', () => {
    const { errors } = parseJsonPoints(
      {
        points: [
          { measurement: 'ok', fields: { v: 1 } },
          { measurement: 3, fields: { v: 1 } },
          { measurement: 'm', fields: { 'a/b': { type: 'integer', value: 1.5 } } },
          { measurement: 'm', fields: { v: 1 }, time: 'yesterday' },
          { measurement: 'm', tags: { t: 1 }, fields: { v: 1 } },
          { measurement: 'm', fields: {} },
          { measurement: 'm', fields: { v: 1 }, extra: true },
        ],
      },
      options,
    );
    expect(errors).toEqual([
      { index: 1, pointer: '/points/1/measurement', detail: 'expected a string' },
      {
        index: 2,
        pointer: '/points/2/fields/a~1b/value',
        detail: 'expected an integer as a safe JSON integer or a decimal string',
      },
      {
        index: 3,
        pointer: '/points/3/time',
        detail: 'expected an RFC 3339 date-time or an integer epoch in the batch precision',
      },
      { index: 4, pointer: '/points/4/tags/t', detail: 'expected a string' },
      { index: 5, pointer: '/points/5', detail: 'a point needs at least one field' },
      { index: 6, pointer: '/points/6/extra', detail: 'unknown property "extra"' },
    ]);
  });

  it('refuses a body without points and an oversized batch before looking at points', () => {
    expect(parseJsonPoints([], options).errors[0]!.detail).toBe(
      'expected an object with a "points" array',
    );
    const limits = { ...DEFAULT_TELEMETRY_LIMITS, maxPointsPerBatch: 1 };
    expect(parseJsonPoints({ points: [1, 2] }, { ...options, limits }).errors).toEqual([
      { index: -1, pointer: '/points', detail: '2 points exceed the limit of 1 per batch' },
    ]);
  });
});
