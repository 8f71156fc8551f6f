import { parseLineProtocol, type LineProtocolOptions } from './line-protocol.parser';
import { scanLineProtocol } from './line-protocol.scanner';
import { serializePoint } from './line-protocol.serializer';
import { DEFAULT_TELEMETRY_LIMITS } from './telemetry-limits';

/** A small deterministic generator, so a failure names a reproducible line. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const MEASUREMENTS = ['m', 'wind', 'x'.repeat(300), '', 'a\\ b', 'tëst', 'time', 'm\t'];
const TAGS = [
  '',
  ',t=a',
  ',t=a,u=b',
  ',t=',
  ',=a',
  ',t',
  ',t=a,t=b',
  ',time=x',
  `,t=${'v'.repeat(2000)}`,
  ',t=a\\,b',
];
const FIELDS = [
  ' v=1',
  ' v=1i',
  ' v=-9223372036854775808i',
  ' v=9223372036854775808i',
  ' v=3u',
  ' v=18446744073709551616u',
  ' v=t',
  ' v=FALSE',
  ' v=1e400',
  ' v=.5',
  ' v=abc',
  ' v=',
  ' v',
  ' v=1,w=2i',
  ' v=1,v=2',
  ' time=1',
  ' s="x y"',
  ' v=0x10',
  ' v=+1.',
  '',
  ' v=1,',
  ' a=1,b=2,c=3',
];
const TIMES = [
  '',
  ' 1795514400000000001',
  ' 1795514400',
  ' -5',
  ' 12x',
  ' 1 2',
  ' 99999999999999999999',
  '  7',
];

describe('scanLineProtocol', () => {
  it('agrees with parseLineProtocol on every line of a generated corpus: same lines kept, same errors', () => {
    const next = random(7);
    const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)]!;
    const lines = Array.from(
      { length: 3_000 },
      () => `${pick(MEASUREMENTS)}${pick(TAGS)}${pick(FIELDS)}${pick(TIMES)}`,
    );
    const body = lines.join('\n');
    for (const precision of ['ns', 's'] as const) {
      for (const unsignedAsInteger of [true, false]) {
        const options: LineProtocolOptions = {
          precision,
          defaultTimestamp: 1_700_000_000_000_000_000n,
          limits: {
            ...DEFAULT_TELEMETRY_LIMITS,
            maxFieldsPerPoint: 2,
            unsignedAsInteger,
            maxTimestampNs: 2_000_000_000_000_000_000n,
          },
        };
        const full = parseLineProtocol(body, options);
        const scanned = scanLineProtocol(body, options);
        // The corpus must exercise both outcomes, or the comparison proves little.
        expect(full.points.length).toBeGreaterThan(100);
        expect(full.errors.length).toBeGreaterThan(100);
        expect(scanned.errors).toEqual(full.errors);
        expect(scanned.points).toEqual(
          full.points.map((point) => ({
            measurement: point.measurement,
            line: serializePoint(point),
          })),
        );
      }
    }
  });

  it('forwards a plain line unchanged and stops at the batch limit like the parser', () => {
    const options: LineProtocolOptions = {
      precision: 'ns',
      defaultTimestamp: 0n,
      limits: { ...DEFAULT_TELEMETRY_LIMITS, maxPointsPerBatch: 1 },
    };
    expect(scanLineProtocol('m,t=a v=1i 42\nm v=2 43', options)).toEqual({
      points: [{ measurement: 'm', line: 'm,t=a v=1i 42' }],
      errors: [],
      truncated: true,
    });
  });
});
