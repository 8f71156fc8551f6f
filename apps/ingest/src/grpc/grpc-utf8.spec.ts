import { resolve } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import { rawStrings } from './grpc-utf8';

const definition = protoLoader.loadSync(
  resolve(__dirname, '../../../../proto/iotwins/ingest/v1/ingest.proto'),
  { longs: String, defaults: true, oneofs: true, keepCase: true },
);
const { Ingest } = (
  grpc.loadPackageDefinition(definition) as unknown as {
    iotwins: { ingest: { v1: { Ingest: grpc.ServiceClientConstructor } } };
  }
).iotwins.ingest.v1;
const encode = (request: object): Buffer => Ingest.service.Write!.requestSerialize(request);

/** Swaps a marker in the encoded message for bytes that are not UTF-8, of the same length. */
const corrupt = (bytes: Buffer, marker: string): Buffer => {
  const at = bytes.indexOf(marker);
  expect(at).toBeGreaterThanOrEqual(0);
  const copy = Buffer.from(bytes);
  copy.fill(0xff, at, at + marker.length);
  return copy;
};

describe('rawStrings', () => {
  it('keeps the line protocol bytes as sent, which decoding would have replaced', () => {
    const raw = corrupt(encode({ line_protocol: 'm,t=MARK v=1 1\nm v=2 2' }), 'MARK');
    const decoded = Ingest.service.Write!.requestDeserialize(raw) as { line_protocol: string };
    expect(decoded.line_protocol).toContain('\ufffd');
    const found = rawStrings(raw);
    expect(found.lineProtocol?.includes(Buffer.from([0xff, 0xff]))).toBe(true);
    expect(found.invalidPoints.size).toBe(0);
  });

  it('names each point holding a string that is not UTF-8, wherever it is', () => {
    const point = (marker: string) => ({
      measurement: marker === 'MEAS' ? 'MEAS' : 'm',
      tags: { [marker === 'TKEY' ? 'TKEY' : 'k']: marker === 'TVAL' ? 'TVAL' : 'v' },
      fields: {
        [marker === 'FKEY' ? 'FKEY' : 'f']: { string_value: marker === 'SVAL' ? 'SVAL' : 's' },
      },
      time_unix_nano: '1',
    });
    const markers = ['none', 'MEAS', 'TKEY', 'TVAL', 'FKEY', 'SVAL'];
    let bytes = encode({ points: { points: markers.map(point) } });
    for (const marker of markers.slice(1)) bytes = corrupt(bytes, marker);
    const found = rawStrings(bytes);
    expect([...found.invalidPoints.keys()]).toEqual([1, 2, 3, 4, 5]);
  });

  it('finds nothing in a request that is all UTF-8, U+FFFD included', () => {
    const found = rawStrings(
      encode({ idempotency_key: 'k', line_protocol: 'm,t=\ufffd v=1 1', precision: 'ns' }),
    );
    expect(found.invalidField).toBeUndefined();
    expect(found.lineProtocol?.toString()).toBe('m,t=\ufffd v=1 1');
    expect(rawStrings(corrupt(encode({ idempotency_key: 'KEY1' }), 'KEY1')).invalidField).toBe(
      'idempotency_key',
    );
  });
});
