/**
 * How many ingest instances can stamp at once without ever colliding: an instance's stamps
 * all end in its slot (the nanoseconds modulo this), so two instances never share one.
 */
export const INSTANCE_SLOTS = 1000;
const SLOTS = BigInt(INSTANCE_SLOTS);
/**
 * The wall clock may move (NTP); past this drift the monotonic clock is anchored again. Well
 * above the millisecond the wall clock is read in, so reading it never re-anchors by itself.
 */
const MAX_DRIFT_NS = 50_000_000n;

function wallClockNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/**
 * Server timestamps as InfluxDB gives them to points sent without a time: nanoseconds, one
 * per request, and never the same for two requests. The monotonic clock of the process gives
 * the nanoseconds (anchored to the wall clock, re-anchored when the two drift apart); a stamp
 * is the clock rounded down to a multiple of INSTANCE_SLOTS plus this instance's slot, and
 * at least INSTANCE_SLOTS above the stamp before, so stamps only grow within a process and
 * differ in their last digits between instances.
 */
export class ServerClock {
  private last = 0n;
  private anchor: bigint;

  constructor(
    private readonly slot: number,
    private readonly monotonic: () => bigint = process.hrtime.bigint,
    private readonly wall: () => bigint = wallClockNs,
  ) {
    if (!Number.isInteger(slot) || slot < 0 || slot >= INSTANCE_SLOTS)
      throw new Error(`instance slot ${slot} is not an integer in 0..${INSTANCE_SLOTS - 1}`);
    this.anchor = this.wall() - this.monotonic();
  }

  get instanceSlot(): number {
    return this.slot;
  }

  /** The next stamp, in nanoseconds since the epoch. */
  next(): bigint {
    let now = this.anchor + this.monotonic();
    const wall = this.wall();
    if (now - wall > MAX_DRIFT_NS || wall - now > MAX_DRIFT_NS) {
      this.anchor = wall - this.monotonic();
      now = wall;
    }
    let stamp = (now / SLOTS) * SLOTS + BigInt(this.slot);
    if (stamp <= this.last) stamp = this.last + SLOTS;
    this.last = stamp;
    return stamp;
  }
}
