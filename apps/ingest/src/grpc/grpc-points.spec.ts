import { DEFAULT_TELEMETRY_LIMITS } from '@iotwins/telemetry';
import { fromProtoPoints } from './grpc-points';

describe('fromProtoPoints', () => {
  it('maps every field type, keeps 64-bit integers exact and stamps points without a time', () => {
    const { points, errors } = fromProtoPoints(
      [
        {
          measurement: 'crankshaft',
          tags: { line: '2' },
          fields: {
            torque: { value: 'float_value', float_value: 812.5 },
            count: { value: 'int_value', int_value: '-9223372036854775808' },
            ok: { value: 'bool_value', bool_value: true },
            state: { value: 'string_value', string_value: 'milling' },
          },
          time_unix_nano: '1795514400000000001',
        },
        {
          measurement: 'crankshaft',
          fields: { torque: { value: 'float_value', float_value: 1 } },
          time_unix_nano: '0',
        },
      ],
      42n,
      DEFAULT_TELEMETRY_LIMITS,
    );
    expect(errors).toEqual([]);
    expect(points[0]!.fields.count).toEqual({ type: 'integer', value: -9223372036854775808n });
    expect(points[0]!.timestamp).toBe(1795514400000000001n);
    expect(points[1]!.timestamp).toBe(42n);
  });

  it('refuses the batch when a point is bad, listing each', () => {
    const { points, errors } = fromProtoPoints(
      [
        { measurement: 'm', fields: {} },
        { measurement: '', fields: { v: { value: 'float_value', float_value: 1 } } },
      ],
      0n,
      DEFAULT_TELEMETRY_LIMITS,
    );
    expect(points).toEqual([]);
    expect(errors).toEqual([
      { item: 0, detail: 'a point needs at least one field' },
      { item: 1, detail: 'measurement is empty' },
    ]);
  });
});
