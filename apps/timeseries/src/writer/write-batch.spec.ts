import { takeBatch } from './write-batch';

const message = (bytes: number) => ({ data: new Uint8Array(bytes) });

describe('takeBatch', () => {
  it('takes messages in order up to the message and byte limits, leaving the rest waiting', () => {
    const waiting = [message(40), message(40), message(40), message(40)];
    const [first, second, third, fourth] = waiting;
    expect(takeBatch(waiting, 10, 100)).toEqual([first, second]);
    expect(waiting).toEqual([third, fourth]);
    expect(takeBatch(waiting, 1, 100)).toEqual([third]);
    expect(takeBatch(waiting, 10, 100)).toEqual([fourth]);
    expect(waiting).toEqual([]);
  });

  it('takes a message larger than the byte limit alone rather than never', () => {
    const waiting = [message(500), message(1)];
    expect(takeBatch(waiting, 10, 100).map((m) => m.data.length)).toEqual([500]);
    expect(takeBatch(waiting, 10, 100).map((m) => m.data.length)).toEqual([1]);
  });
});
