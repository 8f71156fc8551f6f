/** How long a failure is remembered for a message this process may never see again. */
const FORGET_AFTER_MS = 60 * 60 * 1000;

/**
 * Failed writes per TELEMETRY message (by stream sequence), counted only while InfluxDB
 * answered. JetStream's own delivery count cannot serve: it also grows with redeliveries
 * caused by outages and reconnects, which must not push a good batch to the dead letters.
 * Counts live in this process; after a restart a failing batch gets its tries again.
 */
export class FailureCounts {
  private readonly counts = new Map<number, { failures: number; at: number }>();

  /** Records one more failure and returns how many the message has had. */
  record(seq: number, now = Date.now()): number {
    const failures = (this.counts.get(seq)?.failures ?? 0) + 1;
    this.counts.set(seq, { failures, at: now });
    if (this.counts.size > 10_000) this.prune(now);
    return failures;
  }

  forget(seq: number): void {
    this.counts.delete(seq);
  }

  /** Drops counts of messages not seen for an hour (acknowledged by another replica). */
  private prune(now: number): void {
    for (const [seq, entry] of this.counts)
      if (now - entry.at > FORGET_AFTER_MS) this.counts.delete(seq);
  }
}
