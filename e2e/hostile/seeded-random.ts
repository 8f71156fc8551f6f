/**
 * Deterministic choices, so a failing case of the hostile tier reproduces: every door draws
 * from its own generator, seeded by the run's seed and the door's name (HOSTILE_SEED).
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number, salt = '') {
    let hash = seed >>> 0;
    for (let i = 0; i < salt.length; i++) hash = Math.imul(hash ^ salt.charCodeAt(i), 0x9e3779b1);
    this.state = hash >>> 0;
  }

  /** mulberry32: small, fast and good enough to pick cases. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Up to `count` items, in their original order, the `keep` ones always among them. */
  sample<T>(items: readonly T[], count: number, keep: (item: T) => boolean = () => false): T[] {
    const kept = items.filter(keep);
    const rest = items.filter((item) => !keep(item));
    for (let i = rest.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [rest[i], rest[j]] = [rest[j]!, rest[i]!];
    }
    const chosen = new Set<T>([...kept, ...rest.slice(0, Math.max(0, count - kept.length))]);
    return items.filter((item) => chosen.has(item));
  }
}

/** The run's seed: HOSTILE_SEED, or 19 (the issue) so two runs send the same cases. */
export function hostileSeed(): number {
  const value = Number(process.env.HOSTILE_SEED ?? 19);
  if (!Number.isSafeInteger(value)) throw new Error('HOSTILE_SEED must be an integer');
  return value;
}
