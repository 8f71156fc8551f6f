import {
  ClosedConnectionError,
  InvalidArgumentError,
  NoRespondersError,
  TimeoutError,
  headers as natsHeaders,
} from '@nats-io/nats-core';
import {
  DeadLetterHeader,
  boundedDeadLetterCopy,
  isTransientPublishError,
  maxPayloadOf,
} from './dead-letter.copy';

function encodedSize(copy: ReturnType<typeof boundedDeadLetterCopy>): number {
  let size = 12;
  for (const [key, values] of copy.headers)
    for (const value of values) size += Buffer.byteLength(key) + Buffer.byteLength(value) + 4;
  return size + copy.data.length;
}

describe('boundedDeadLetterCopy', () => {
  const maxPayload = 1024 * 1024;

  it('keeps a small message whole, with where it came from and why', () => {
    const data = new TextEncoder().encode('{"id":"x"}');
    const copy = boundedDeadLetterCopy(
      { subject: 'predictions.tenant-a.m', data, stream: 'OBSERVATIONS', seq: 7 },
      'the body is not valid',
      { maxPayload },
    );
    expect(copy.truncated).toBe(false);
    expect(copy.data).toBe(data);
    expect(copy.headers.get(DeadLetterHeader.Reason)).toBe('the body is not valid');
    expect(copy.headers.get(DeadLetterHeader.Subject)).toBe('predictions.tenant-a.m');
    expect(copy.headers.get(DeadLetterHeader.Sequence)).toBe('7');
    expect(copy.headers.get(DeadLetterHeader.OriginalSize)).toBe(String(data.length));
    expect(copy.headers.has(DeadLetterHeader.Truncated)).toBe(false);
  });

  it('truncates a body at the payload limit so that the dead letter itself fits', () => {
    const data = new Uint8Array(maxPayload).fill(120);
    const original = natsHeaders();
    original.set('Iotwins-Tenant', 'tenant-a');
    const copy = boundedDeadLetterCopy(
      { subject: 's', data, headers: original },
      'x'.repeat(5000),
      { maxPayload },
    );
    expect(copy.truncated).toBe(true);
    expect(copy.headers.get(DeadLetterHeader.Truncated)).toBe('true');
    expect(copy.headers.get(DeadLetterHeader.OriginalSize)).toBe(String(maxPayload));
    expect(copy.headers.get(DeadLetterHeader.Reason)).toHaveLength(1024);
    expect(copy.headers.get('Iotwins-Tenant')).toBe('tenant-a');
    expect(encodedSize(copy)).toBeLessThanOrEqual(maxPayload - 1024);
  });

  it('bounds the copy by maxCopyBytes and drops original headers beyond 8 KiB', () => {
    const original = natsHeaders();
    for (let i = 0; i < 100; i++) original.append(`X-H${i}`, 'v'.repeat(200));
    const copy = boundedDeadLetterCopy(
      { subject: 's', data: new Uint8Array(10_000), headers: original },
      'line one\r\nline two',
      { maxPayload, maxCopyBytes: 4096 },
    );
    expect(copy.data.length).toBe(4096);
    expect(copy.headers.get(DeadLetterHeader.Reason)).toBe('line one line two');
    const copiedHeaders = [...copy.headers].filter(([key]) => key.startsWith('X-H'));
    expect(copiedHeaders.length).toBeGreaterThan(0);
    expect(copiedHeaders.length).toBeLessThan(100);
  });
});

describe('isTransientPublishError', () => {
  it('retries what an outage raises, terminates what the message itself causes', () => {
    expect(isTransientPublishError(new TimeoutError())).toBe(true);
    expect(isTransientPublishError(new NoRespondersError('deadletter.telemetry.t'))).toBe(true);
    expect(isTransientPublishError(new ClosedConnectionError())).toBe(true);
    expect(
      isTransientPublishError(InvalidArgumentError.format('payload', 'max_payload size exceeded')),
    ).toBe(false);
    expect(isTransientPublishError(new Error('invalid subject'))).toBe(false);
  });

  it('takes the payload limit from the server, or the NATS default', () => {
    expect(maxPayloadOf({ info: { max_payload: 8 * 1024 * 1024 } })).toBe(8 * 1024 * 1024);
    expect(maxPayloadOf({})).toBe(1024 * 1024);
  });
});
