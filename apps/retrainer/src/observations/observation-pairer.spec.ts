import { ObservationPairer, type PendingObservation } from './observation-pairer';

function pairer(): {
  pairer: ObservationPairer;
  added: PendingObservation[];
  removed: PendingObservation[];
} {
  const added: PendingObservation[] = [];
  const removed: PendingObservation[] = [];
  return {
    pairer: new ObservationPairer(
      { added: (p) => added.push(p), removed: (p) => removed.push(p) },
      { windowMs: 500, maxKeys: 3 },
    ),
    added,
    removed,
  };
}

const TTL = 1_000;

describe('ObservationPairer', () => {
  it('pairs a prediction with its actual once, and remembers the key as paired', () => {
    const { pairer: p, added } = pairer();
    expect(p.offer('t', 'm', 'prediction', 'id:1', { value: 1 }, 0, TTL)).toEqual({
      kind: 'waiting',
    });
    const result = p.offer('t', 'm', 'actual', 'id:1', { value: 2 }, 10, TTL);
    expect(result.kind).toBe('paired');
    expect(added.map((a) => a.kind)).toEqual(['prediction']);
    expect(p.countFor('t', 'm')).toEqual({ predictions: 0, actuals: 0 });
  });

  it('ignores an actual resent after its pair, so a reused prediction id does not pair with it', () => {
    const { pairer: p } = pairer();
    p.offer('t', 'm', 'prediction', 'id:1', { value: 1 }, 0, TTL);
    p.offer('t', 'm', 'actual', 'id:1', { value: 2 }, 10, TTL);
    expect(p.offer('t', 'm', 'actual', 'id:1', { value: 2 }, 20, TTL).kind).toBe('duplicate');
    expect(p.offer('t', 'm', 'prediction', 'id:1', { value: 9 }, 30, TTL).kind).toBe('duplicate');
    expect(p.countFor('t', 'm')).toEqual({ predictions: 0, actuals: 0 });
  });

  it('keeps the first of two waiting predictions with one id', () => {
    const { pairer: p } = pairer();
    p.offer('t', 'm', 'prediction', 'id:2', { value: 1 }, 0, TTL);
    expect(p.offer('t', 'm', 'prediction', 'id:2', { value: 5 }, 5, TTL).kind).toBe('duplicate');
    const result = p.offer('t', 'm', 'actual', 'id:2', { value: 1 }, 10, TTL);
    expect(result.kind === 'paired' && result.other.observation.value).toBe(1);
  });

  it('forgets a paired key after its window: the id may be used again', () => {
    const { pairer: p } = pairer();
    p.offer('t', 'm', 'prediction', 'id:3', { value: 1 }, 0, TTL);
    p.offer('t', 'm', 'actual', 'id:3', { value: 1 }, 10, TTL);
    expect(p.offer('t', 'm', 'actual', 'id:3', { value: 1 }, 509, TTL).kind).toBe('duplicate');
    expect(p.expire(510)).toEqual([]);
    expect(p.offer('t', 'm', 'prediction', 'id:3', { value: 1 }, 520, TTL).kind).toBe('waiting');
  });

  it('remembers at most maxKeys paired keys, forgetting the oldest first', () => {
    const { pairer: p } = pairer();
    for (const key of ['a', 'b', 'c', 'd']) {
      p.offer('t', 'm', 'prediction', key, { value: 1 }, 0, TTL);
      p.offer('t', 'm', 'actual', key, { value: 1 }, 0, TTL);
    }
    expect(p.offer('t', 'm', 'actual', 'a', { value: 1 }, 1, TTL).kind).toBe('waiting');
    expect(p.offer('t', 'm', 'actual', 'd', { value: 1 }, 1, TTL).kind).toBe('duplicate');
  });

  it('keeps tenants and models apart', () => {
    const { pairer: p } = pairer();
    p.offer('t', 'm', 'prediction', 'id:4', { value: 1 }, 0, TTL);
    p.offer('t', 'm', 'actual', 'id:4', { value: 1 }, 0, TTL);
    expect(p.offer('u', 'm', 'actual', 'id:4', { value: 1 }, 0, TTL).kind).toBe('waiting');
    expect(p.offer('t', 'n', 'actual', 'id:4', { value: 1 }, 0, TTL).kind).toBe('waiting');
  });
});
