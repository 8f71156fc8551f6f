import type { SerializedPoint } from './line-protocol.line-scanner';
import { parseLineProtocol, type LineProtocolOptions } from './line-protocol.parser';
import { scanLineProtocol } from './line-protocol.scanner';
import { serializePoint } from './line-protocol.serializer';
import type { Point, Precision } from './point';
import { DEFAULT_TELEMETRY_LIMITS, type TelemetryLimits } from './telemetry-limits';

/** A small deterministic generator, so a failure names a reproducible line. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const MEASUREMENTS = [
  'm',
  'wind',
  'x'.repeat(300),
  'x'.repeat(256),
  '',
  'a\\ b',
  'tëst',
  'time',
  'm\t',
  ' m',
  '#m',
  'a=b',
];
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
  ',t=a=b',
  ',t=a,t=a',
  ',t=a,u=b,v=c',
  `,${'k'.repeat(257)}=v`,
  `,t=${'v'.repeat(1024)}`,
  ',t=a,',
  ',t=\u007f',
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
  ' v=123456789012345678i',
  ' v=1234567890123456789i',
  ' v=-1.5i',
  ' v=+5i',
  ' v=i',
  ' v=-',
  ' v=.',
  ' v=1.',
  ' v=1e5',
  ' v=1E-5',
  ' v=e',
  ' v=true',
  ' v=True',
  ' v=TRUE',
  ' v=tRue',
  ' v=-t',
  ` v=${'9'.repeat(299)}`,
  ` v=${'9'.repeat(400)}`,
  ' v=1=2',
  ' v=1,w=2,v=3',
  ' s="a\nb",v=1',
  ' v=1u',
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
  ' 7 ',
  ' 0',
  ' 000000000000000000000001',
  ' 1999999999999999999',
  ' 2000000000000000000',
  ' 2000000000000000001',
  ' 1\r',
  ' 1\t',
];

/** The parser's points as the scanner returns them: grouped by measurement, in order. */
function grouped(points: Point[]): SerializedPoint[] {
  const groups = new Map<string, SerializedPoint[]>();
  for (const point of points) {
    const group = groups.get(point.measurement) ?? [];
    group.push({ measurement: point.measurement, line: serializePoint(point) });
    groups.set(point.measurement, group);
  }
  return [...groups.values()].flat();
}

const ODD_LINES = ['', '   ', '# a comment', '# "quoted\nover lines"', '\r'];

describe('scanLineProtocol', () => {
  it('agrees with parseLineProtocol on every line of a generated corpus: same lines kept, same errors', () => {
    const next = random(7);
    const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)]!;
    const lines = Array.from({ length: 6_000 }, () =>
      next() < 0.03
        ? pick(ODD_LINES)
        : `${pick(MEASUREMENTS)}${pick(TAGS)}${pick(FIELDS)}${pick(TIMES)}`,
    );
    const variants: [string, Partial<TelemetryLimits>][] = [
      ['ns', { maxFieldsPerPoint: 2, unsignedAsInteger: true }],
      ['ns', { maxFieldsPerPoint: 2, unsignedAsInteger: false }],
      ['s', { maxFieldsPerPoint: 2, unsignedAsInteger: true }],
      ['s', { maxFieldsPerPoint: 2, unsignedAsInteger: false }],
      ['ns', { maxTagsPerPoint: 2, minTimestampNs: 2n }],
      ['ns', { maxPointsPerBatch: 1_500 }],
    ];
    for (const separator of ['\n', '\r\n']) {
      const body = lines.join(separator);
      for (const [precision, limits] of variants) {
        const options: LineProtocolOptions = {
          precision: precision as Precision,
          defaultTimestamp: 1_700_000_000_000_000_000n,
          limits: {
            ...DEFAULT_TELEMETRY_LIMITS,
            maxTimestampNs: 2_000_000_000_000_000_000n,
            ...limits,
          },
        };
        const full = parseLineProtocol(body, options);
        const scanned = scanLineProtocol(Buffer.from(body), options);
        // The corpus must exercise both outcomes, or the comparison proves little.
        expect(full.points.length).toBeGreaterThan(100);
        expect(full.errors.length).toBeGreaterThan(100);
        expect(scanned.errors).toEqual(full.errors);
        expect(scanned.truncated).toBe(full.truncated);
        expect(scanned.batch.size).toBe(full.points.length);
        expect(scanned.batch.lines()).toEqual(grouped(full.points));
      }
    }
  });

  it('forwards a plain line unchanged and stops at the batch limit like the parser', () => {
    const options: LineProtocolOptions = {
      precision: 'ns',
      defaultTimestamp: 0n,
      limits: { ...DEFAULT_TELEMETRY_LIMITS, maxPointsPerBatch: 1 },
    };
    const scanned = scanLineProtocol('m,t=a v=1i 42\nm v=2 43', options);
    expect(scanned.batch.lines()).toEqual([{ measurement: 'm', line: 'm,t=a v=1i 42' }]);
    expect(scanned.errors).toEqual([]);
    expect(scanned.truncated).toBe(true);
  });

  it('keeps lines in their order within a measurement, plain or rewritten', () => {
    const scanned = scanLineProtocol('m v=1 1\nn v=2 2\nm v=3\nm v=4 4\nn v=5u 5\nm v=6 6', {
      precision: 'ns',
      defaultTimestamp: 9n,
      limits: DEFAULT_TELEMETRY_LIMITS,
    });
    expect(scanned.batch.lines().map((point) => point.line)).toEqual([
      'm v=1 1',
      'm v=3 9',
      'm v=4 4',
      'm v=6 6',
      'n v=2 2',
      'n v=5i 5',
    ]);
  });
});
