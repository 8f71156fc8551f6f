import { formatProblem, looksLikeJson, reconnectDelayMs, settle } from './amqp-payload';

const bytes = (text: string) => Buffer.from(text);

describe('AMQP payloads', () => {
  it('tells JSON from line protocol by the first non-blank byte', () => {
    expect(looksLikeJson(bytes('  \n{"fields": {}}'))).toBe(true);
    expect(looksLikeJson(bytes('m v=1'))).toBe(false);
    expect(looksLikeJson(bytes(''))).toBe(false);
  });

  it('refuses a payload of the other format when the format is fixed', () => {
    expect(formatProblem('json', bytes('m v=1'))).toBe(
      'expected a JSON point or {"points": [...]}, got something else',
    );
    expect(formatProblem('line-protocol', bytes('{"a":1}'))).toBe(
      'expected line protocol, got JSON',
    );
    expect(formatProblem('auto', bytes('m v=1'))).toBeUndefined();
    expect(formatProblem('auto', bytes('{"a":1}'))).toBeUndefined();
    expect(formatProblem('auto', bytes(''))).toBe('empty message');
  });

  it('acknowledges a message with anything stored and rejects one with nothing storable', () => {
    expect(settle({ written: 2, refused: 0, errors: [] })).toEqual({ action: 'ack', refused: 0 });
    expect(settle({ written: 1, refused: 1, errors: ['line 2: bad'] })).toEqual({
      action: 'ack',
      refused: 1,
      reason: 'line 2: bad',
    });
    expect(settle({ written: 0, refused: 1, errors: ['/points/0: bad'] })).toEqual({
      action: 'reject',
      reason: '/points/0: bad',
    });
    expect(settle({ written: 0, refused: 0, errors: [] })).toEqual({
      action: 'reject',
      reason: 'the message holds no points',
    });
  });

  it('backs off reconnects from 1 s doubling to 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map(reconnectDelayMs)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });
});
