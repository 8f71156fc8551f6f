import { DEFAULT_TELEMETRY_LIMITS } from '@iotwins/telemetry';
import { MappingError, mapDocument, mappingSyntaxError } from './connector.mapping';

const options = {
  precision: 'ms' as const,
  defaultTimestamp: 0n,
  limits: DEFAULT_TELEMETRY_LIMITS,
};

describe('mapDocument', () => {
  it('turns a document into validated points and counts refused records', async () => {
    const mapped = await mapDocument(
      'items.{"measurement": "m", "tags": {"site": site}, "fields": {"v": v}, "time": t}',
      {
        items: [
          { site: 'a', v: 1.5, t: 1_700_000_000_000 },
          { site: 'b', v: null, t: 1_700_000_000_000 },
        ],
      },
      options,
    );
    expect(mapped.records).toBe(2);
    expect(mapped.points).toEqual([
      expect.objectContaining({
        measurement: 'm',
        tags: { site: 'a' },
        fields: { v: { type: 'float', value: 1.5 } },
        timestamp: 1_700_000_000_000_000_000n,
      }),
    ]);
    expect(mapped.errors.map((error) => error.index)).toEqual([1]);
  });

  it('yields no records when the mapping matches nothing', async () => {
    expect(await mapDocument('nothing.{"measurement": "m"}', {}, options)).toEqual({
      records: 0,
      points: [],
      errors: [],
    });
  });

  it('names a syntax error and a failing evaluation', async () => {
    expect(mappingSyntaxError('items.{')).toBeDefined();
    await expect(mapDocument('$error("boom")', {}, options)).rejects.toThrow(MappingError);
  });
});
