import { DEFAULT_TELEMETRY_LIMITS } from '@iotwins/telemetry';
import { payloadPoints, type PayloadTarget } from './mqtt-source.payload';

const target: PayloadTarget = {
  measurement: 'spindle',
  tags: { line: 'L1' },
  format: 'auto',
  field: 'value',
};
const at = 1_795_514_400_000_000_000n;
const parse = (text: string, over: Partial<PayloadTarget> = {}) =>
  payloadPoints(Buffer.from(text), { ...target, ...over }, DEFAULT_TELEMETRY_LIMITS, at);

describe('payloadPoints', () => {
  it('gives JSON points the topic measurement and tags; their own win', () => {
    const { points, errors } = parse(
      JSON.stringify({
        points: [
          { fields: { rpm: 1 }, time: 1_000 },
          { measurement: 'other', tags: { line: 'L9', s: 'x' }, fields: { rpm: 2 } },
        ],
      }),
    );
    expect(errors).toEqual([]);
    expect(
      points.map(({ measurement, tags, timestamp }) => ({ measurement, tags, timestamp })),
    ).toEqual([
      { measurement: 'spindle', tags: { line: 'L1' }, timestamp: 1_000_000_000n },
      { measurement: 'other', tags: { line: 'L9', s: 'x' }, timestamp: at },
    ]);
  });

  it('refuses a JSON payload whole when one point is bad', () => {
    const { points, errors } = parse(
      JSON.stringify({ points: [{ fields: { rpm: 1 } }, { fields: {} }] }),
    );
    expect(points).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\/points\/1/);
  });

  it('adds the topic tags to line protocol and keeps its good lines', () => {
    const { points, errors } = parse('m,s=1 v=1 5\nm v=oops 6\nm,line=L2 v=2i 7');
    expect(points.map((p) => [p.tags, p.fields, p.timestamp, p.line])).toEqual([
      [{ line: 'L1', s: '1' }, { v: { type: 'float', value: 1 } }, 5n, undefined],
      [{ line: 'L2' }, { v: { type: 'integer', value: 2n } }, 7n, undefined],
    ]);
    expect(errors).toEqual([expect.stringMatching(/^line 2: /)]);
  });

  it('reads a bare value as float, boolean or string, stamped when received', () => {
    const value = (text: string) => parse(text, { format: 'value', field: 'temp' }).points[0];
    expect(value(' 21.5\n')).toEqual({
      measurement: 'spindle',
      tags: { line: 'L1' },
      fields: { temp: { type: 'float', value: 21.5 } },
      timestamp: at,
    });
    expect(value('-3e2')?.fields.temp).toEqual({ type: 'float', value: -300 });
    expect(value('false')?.fields.temp).toEqual({ type: 'boolean', value: false });
    expect(value('RUNNING')?.fields.temp).toEqual({ type: 'string', value: 'RUNNING' });
    expect(parse('', { format: 'value' }).errors).toEqual(['empty payload']);
    expect(parse('1', { format: 'value', measurement: undefined }).errors).toEqual([
      'a bare value needs a measurement from the topic or the subscription',
    ]);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(
      payloadPoints(Buffer.from([0x6d, 0xff, 0x20]), target, DEFAULT_TELEMETRY_LIMITS, at).errors,
    ).toEqual(['payload is not valid UTF-8']);
  });
});
