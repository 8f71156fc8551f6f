import { opcuaSourceConfigSchema, opcuaConfigProblems } from './opcua-source.config';
import { fieldValue, opcuaPoint, type OpcuaDataValue } from './opcua-values';

const GOOD = { value: 0, name: 'Good', toString: () => 'Good (0x00000000)' };
const item = {
  nodeId: 'ns=2;s=Spindle.Speed',
  samplingIntervalMs: 100,
  queueSize: 10,
  measurement: 'cnc',
  tags: { machine: 'm1' },
  field: 'speed',
};
const change = (value: OpcuaDataValue['value'], extra: Partial<OpcuaDataValue> = {}) => ({
  value,
  statusCode: GOOD,
  ...extra,
});

describe('opcuaPoint', () => {
  it('takes the source timestamp, with its sub-millisecond picoseconds, as the point time', () => {
    const result = opcuaPoint(
      item,
      change(
        { dataType: 11, value: 1234.5 },
        {
          sourceTimestamp: new Date('2026-11-24T08:00:00.123Z'),
          sourcePicoseconds: 456_700_000,
          serverTimestamp: new Date('2026-11-24T08:00:01Z'),
        },
      ),
      1n,
    );
    expect(result).toEqual({
      point: {
        measurement: 'cnc',
        tags: { machine: 'm1' },
        fields: { speed: { type: 'float', value: 1234.5 } },
        timestamp: 1_795_507_200_123_456_700n,
      },
    });
  });

  it('falls back to the server timestamp, then to the receive time', () => {
    const server = opcuaPoint(
      item,
      change({ dataType: 1, value: true }, { serverTimestamp: new Date(1_000) }),
      7n,
    );
    expect(server).toMatchObject({ point: { timestamp: 1_000_000_000n } });
    const none = opcuaPoint(
      item,
      change({ dataType: 1, value: true }, { sourceTimestamp: null }),
      7n,
    );
    expect(none).toMatchObject({
      point: { timestamp: 7n, fields: { speed: { type: 'boolean' } } },
    });
  });

  it('refuses values whose status is not Good, and arrays', () => {
    const bad = {
      value: 0x80_8b_00_00,
      name: 'BadSensorFailure',
      toString: () => 'BadSensorFailure (0x808b0000)',
    };
    expect(opcuaPoint(item, { value: { dataType: 11, value: 0 }, statusCode: bad }, 1n)).toEqual({
      refused: 'ns=2;s=Spindle.Speed: BadSensorFailure (0x808b0000)',
    });
    expect(opcuaPoint(item, change({ dataType: 11, arrayType: 1, value: [1, 2] }), 1n)).toEqual({
      refused: 'ns=2;s=Spindle.Speed: an array value has no field type',
    });
  });
});

describe('fieldValue: the field type follows the OPC-UA data type', () => {
  it.each([
    [2, -5, { type: 'integer', value: -5n }],
    [5, 65_535, { type: 'integer', value: 65_535n }],
    [7, 4_294_967_295, { type: 'integer', value: 4_294_967_295n }],
    [10, 1.5, { type: 'float', value: 1.5 }],
    [12, 'RUNNING', { type: 'string', value: 'RUNNING' }],
    [21, { text: 'Spindle on', locale: 'en' }, { type: 'string', value: 'Spindle on' }],
    [13, new Date('2026-11-24T08:00:00Z'), { type: 'string', value: '2026-11-24T08:00:00.000Z' }],
  ])('type %i %p', (dataType, value, expected) => {
    expect(fieldValue(dataType, value)).toEqual(expected);
  });

  it('reads 64-bit integers from node-opcua [high, low] words', () => {
    expect(fieldValue(8, [0xffff_ffff, 0xffff_fffe])).toEqual({ type: 'integer', value: -2n });
    expect(fieldValue(8, [1, 0])).toEqual({ type: 'integer', value: 4_294_967_296n });
    expect(fieldValue(9, [0xffff_ffff, 0xffff_ffff])).toEqual({
      type: 'uinteger',
      value: 18_446_744_073_709_551_615n,
    });
  });

  it('names what it cannot store', () => {
    expect(fieldValue(11, Number.NaN)).toBe('NaN is not a finite number');
    expect(fieldValue(22, {})).toBe(
      'data type 22 has no field type (numbers, booleans, strings, dates only)',
    );
  });
});

describe('OPC-UA configuration', () => {
  const base = {
    endpointUrl: 'opc.tcp://plc.example:4840/UA/Server',
    items: [item],
  };

  it('accepts node ids in the OPC-UA string forms', () => {
    for (const nodeId of [
      'i=2258',
      'ns=2;s=Machine.Spindle Speed',
      'nsu=urn:example:cnc;s=Axis/X',
      'ns=3;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63',
      'ns=1;b=M/RbKBsRVkePCePcx24oRA==',
    ])
      expect(
        opcuaSourceConfigSchema.safeParse({ ...base, items: [{ ...item, nodeId }] }).success,
      ).toBe(true);
    expect(
      opcuaSourceConfigSchema.safeParse({ ...base, items: [{ ...item, nodeId: 'Spindle' }] })
        .success,
    ).toBe(false);
  });

  it('names names that would not make points', () => {
    const config = opcuaSourceConfigSchema.parse({
      ...base,
      items: [item, { ...item, nodeId: 'i=2258', field: 'time' }],
    });
    expect(opcuaConfigProblems(config)).toEqual([
      { pointer: '/config/items/1', detail: 'field key "time" is reserved' },
    ]);
  });
});
