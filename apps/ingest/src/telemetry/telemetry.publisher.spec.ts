import {
  scanLineProtocol,
  DEFAULT_TELEMETRY_LIMITS,
  type SerializedPoint,
} from '@iotwins/telemetry';
import { buildMessages } from './telemetry.publisher';

const point = (measurement: string, value: number): SerializedPoint => ({
  measurement,
  line: `${measurement.replace(/ /g, '\\ ')},id=${'x'.repeat(200)} v=${value} ${value}`,
});

describe('buildMessages', () => {
  it('groups points by measurement onto their subjects', () => {
    const messages = buildMessages(
      'tenant-a',
      [point('a b', 1), point('c', 2), point('a b', 3)],
      'key-1',
    );
    expect(messages.map((m) => [m.subject, m.points, m.id])).toEqual([
      ['telemetry.tenant-a.a%20b', 2, 'tenant-a/key-1/a%20b/0'],
      ['telemetry.tenant-a.c', 1, 'tenant-a/key-1/c/0'],
    ]);
  });

  it('cuts large groups into messages under 512 KiB that together hold every point', () => {
    const points = Array.from({ length: 5000 }, (_, i) => point('m', i + 1));
    const messages = buildMessages('t', points);
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages)
      expect(Buffer.byteLength(message.body)).toBeLessThanOrEqual(512 * 1024);
    const reparsed = messages.flatMap(
      (m) =>
        scanLineProtocol(m.body, {
          precision: 'ns',
          defaultTimestamp: 0n,
          limits: DEFAULT_TELEMETRY_LIMITS,
        }).points,
    );
    expect(reparsed).toEqual(points);
  });

  it('gives the same content the same id without a key, and different content different ids', () => {
    const first = buildMessages('t', [point('m', 1)]);
    expect(buildMessages('t', [point('m', 1)])[0]!.id).toBe(first[0]!.id);
    expect(buildMessages('t', [point('m', 2)])[0]!.id).not.toBe(first[0]!.id);
  });
});
