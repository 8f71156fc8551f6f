import { DEFAULT_TELEMETRY_LIMITS } from '@iotwins/telemetry';
import { MappingError, MappingInputError, mapDocument } from './connector.mapping';
import { MappingPool } from './sandbox/mapping-pool';

const options = {
  precision: 'ms' as const,
  defaultTimestamp: 0n,
  limits: DEFAULT_TELEMETRY_LIMITS,
};

describe('mapDocument', () => {
  const pool = new MappingPool({
    workers: 1,
    tenantConcurrency: 1,
    tenantQueue: 8,
    timeoutMs: 5_000,
    heapMb: 64,
    maxInputBytes: 1024 * 1024,
    maxOutputBytes: 1024 * 1024,
  });
  const sandbox = {
    evaluate: pool.evaluate.bind(pool),
    problem: () => undefined,
    maxInputBytes: 1,
  };
  afterAll(() => pool.close());

  it('turns a document into validated points and counts refused records', async () => {
    const mapped = await mapDocument(
      sandbox,
      'tenant-a',
      {
        mapping:
          'items.{"measurement": "m", "tags": {"site": site}, "fields": {"v": v}, "time": t}',
      },
      JSON.stringify({
        items: [
          { site: 'a', v: 1.5, t: 1_700_000_000_000 },
          { site: 'b', v: null, t: 1_700_000_000_000 },
        ],
      }),
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

  it('yields no records when the mapping matches nothing, and evaluates the next link', async () => {
    expect(
      await mapDocument(
        sandbox,
        'tenant-a',
        { mapping: 'nothing.{"measurement": "m"}', next: 'links.next' },
        '{"links":{"next":"/page/2"}}',
        options,
      ),
    ).toEqual({ records: 0, points: [], errors: [], next: '/page/2' });
  });

  it('names a failing evaluation and a document that is not JSON', async () => {
    await expect(
      mapDocument(sandbox, 'tenant-a', { mapping: '$error("boom")' }, '{}', options),
    ).rejects.toThrow(new MappingError('the mapping failed: boom'));
    await expect(
      mapDocument(sandbox, 'tenant-a', { mapping: 'a' }, '<html>', options),
    ).rejects.toThrow(MappingInputError);
  });
});
