import { INSTANCE_SLOTS, ServerClock } from './server-clock';

describe('ServerClock', () => {
  it('gives distinct, growing nanosecond stamps even when the clock does not move', () => {
    const clock = new ServerClock(
      7,
      () => 5n,
      () => 1_700_000_000_000_000_000n,
    );
    const stamps = Array.from({ length: 50 }, () => clock.next());
    expect(new Set(stamps).size).toBe(50);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! > stamps[i - 1]!).toBe(true);
    for (const stamp of stamps) expect(stamp % BigInt(INSTANCE_SLOTS)).toBe(7n);
  });

  it('has nanosecond resolution, not the millisecond of Date.now', () => {
    const clock = new ServerClock(0);
    const stamps = Array.from({ length: 20 }, () => clock.next());
    expect(stamps.some((stamp) => stamp % 1_000_000n !== 0n)).toBe(true);
    const now = BigInt(Date.now()) * 1_000_000n;
    expect(stamps[0]! - now < 100_000_000n && now - stamps[0]! < 100_000_000n).toBe(true);
  });

  it('never gives two instances the same stamp', () => {
    let tick = 0n;
    const monotonic = (): bigint => (tick += 13n);
    const wall = (): bigint => 1_700_000_000_000_000_000n;
    const a = new ServerClock(1, monotonic, wall);
    const b = new ServerClock(2, monotonic, wall);
    const stamps = new Set<bigint>();
    for (let i = 0; i < 1000; i++) stamps.add(a.next()).add(b.next());
    expect(stamps.size).toBe(2000);
  });

  it('refuses a slot outside 0..999', () => {
    expect(() => new ServerClock(INSTANCE_SLOTS)).toThrow(/instance slot/);
  });
});
