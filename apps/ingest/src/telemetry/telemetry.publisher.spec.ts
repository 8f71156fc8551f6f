import {
  DEFAULT_TELEMETRY_LIMITS,
  LineBatch,
  scanLineProtocol,
  type SerializedPoint,
} from '@iotwins/telemetry';
import { buildMessages } from './telemetry.publisher';

const point = (measurement: string, value: number): SerializedPoint => ({
  measurement,
  line: `${measurement.replace(/ /g, '\\ ')},id=${'x'.repeat(200)} v=${value} ${value}`,
});

function batchOf(points: SerializedPoint[]): LineBatch {
  const batch = new LineBatch();
  for (const { measurement, line } of points) batch.addLine(measurement, line);
  return batch;
}

const decode = (body: Uint8Array): string => Buffer.from(body).toString('utf8');

describe('buildMessages', () => {
  it('groups points by measurement onto their subjects', () => {
    const messages = buildMessages(
      'tenant-a',
      batchOf([point('a b', 1), point('c', 2), point('a b', 3)]),
      'key-1',
    );
    expect(messages.map((m) => [m.subject, m.points, m.id])).toEqual([
      ['telemetry.tenant-a.a%20b', 2, 'tenant-a/key-1/a%20b/0'],
      ['telemetry.tenant-a.c', 1, 'tenant-a/key-1/c/0'],
    ]);
  });

  it('cuts large groups into messages under 512 KiB that together hold every point', () => {
    const points = Array.from({ length: 5000 }, (_, i) => point('m', i + 1));
    const messages = buildMessages('t', batchOf(points), 'key');
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.map((m) => m.id)).toEqual(messages.map((_, part) => `t/key/m/${part}`));
    for (const message of messages) expect(message.body.length).toBeLessThanOrEqual(512 * 1024);
    const reparsed = messages.flatMap((m) =>
      scanLineProtocol(m.body, {
        precision: 'ns',
        defaultTimestamp: 0n,
        limits: DEFAULT_TELEMETRY_LIMITS,
      }).batch.lines(),
    );
    expect(reparsed).toEqual(points);
    expect(messages.reduce((sum, m) => sum + m.points, 0)).toBe(5000);
  });

  it('publishes a body of plain lines as a slice of it, cut at line ends when large', () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `m,host=h${i % 20} v=${i} ${i + 1}`);
    const body = Buffer.from(`${lines.join('\n')}\n`);
    const { batch, errors } = scanLineProtocol(body, {
      precision: 'ns',
      defaultTimestamp: 0n,
      limits: DEFAULT_TELEMETRY_LIMITS,
    });
    expect(errors).toEqual([]);
    const messages = buildMessages('t', batch);
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      expect(message.body.buffer).toBe(body.buffer);
      expect(message.body.length).toBeLessThanOrEqual(512 * 1024);
    }
    expect(messages.map((m) => decode(m.body)).join('\n')).toBe(lines.join('\n'));
    expect(messages.map((m) => m.points)).toEqual(
      messages.map((m) => decode(m.body).split('\n').length),
    );
  });

  it('gives the same content the same id without a key, and different content different ids', () => {
    const first = buildMessages('t', batchOf([point('m', 1)]));
    expect(buildMessages('t', batchOf([point('m', 1)]))[0]!.id).toBe(first[0]!.id);
    expect(buildMessages('t', batchOf([point('m', 2)]))[0]!.id).not.toBe(first[0]!.id);
  });
});
