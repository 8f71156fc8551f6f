import { DEFAULT_TELEMETRY_LIMITS } from '@iotwins/telemetry';
import { parseMqttPayload } from './mqtt-payload';

const topic = { tenant: 'tenant-a', measurement: 'health' };
const parse = (payload: string) =>
  parseMqttPayload(Buffer.from(payload), topic, 9n, DEFAULT_TELEMETRY_LIMITS);

describe('parseMqttPayload', () => {
  it('reads one JSON point with the topic measurement', () => {
    const { batch, errors } = parse(
      '{"fields":{"index":0.93},"tags":{"line":"3"},"time":1795514400000}',
    );
    expect(errors).toEqual([]);
    expect(batch.lines()).toEqual([
      { measurement: 'health', line: 'health,line=3 index=0.93 1795514400000000000' },
    ]);
  });

  it('reads a JSON batch and line protocol', () => {
    expect(
      parse('{"points":[{"fields":{"a":1}},{"measurement":"other","fields":{"b":true}}]}')
        .batch.lines()
        .map((p) => p.measurement),
    ).toEqual(['health', 'other']);
    const lp = parse('  health,line=3 index=0.9 1\nbad line');
    expect(lp.batch.lines()).toEqual([
      { measurement: 'health', line: 'health,line=3 index=0.9 1' },
    ]);
    expect(lp.errors).toEqual(['line 2: missing fields']);
  });

  it('refuses invalid JSON, bad points and invalid UTF-8 with a reason', () => {
    expect(parse('{"fields":').errors[0]).toMatch(/^payload is not valid JSON/);
    expect(parse('{"fields":{"a":"x"},"time":"soon"}').errors).toEqual([
      '/points/0/time: expected an RFC 3339 date-time or an integer epoch in the batch precision',
    ]);
    expect(
      parseMqttPayload(Buffer.from([0xff, 0xfe]), topic, 0n, DEFAULT_TELEMETRY_LIMITS).errors,
    ).toEqual(['line 1: the line is not valid UTF-8']);
    expect(
      parseMqttPayload(Buffer.from([0x7b, 0xff]), topic, 0n, DEFAULT_TELEMETRY_LIMITS).errors,
    ).toEqual(['payload is not valid UTF-8']);
  });
});
