/** What to do with telemetry messages after a write attempt to InfluxDB. */
export type WriteOutcome =
  | { kind: 'written' }
  /** InfluxDB refused the data itself (bad line, type conflict): retrying cannot help. */
  | { kind: 'rejected'; reason: string }
  /** The database does not exist (yet, or any more). */
  | { kind: 'missing-database' }
  /** InfluxDB is down, slow or overloaded: retry later. */
  | { kind: 'transient'; reason: string };

export function classifyWrite(status: number, error: string | undefined): WriteOutcome {
  if (status === 204) return { kind: 'written' };
  if (status === 404 && /database not found/i.test(error ?? ''))
    return { kind: 'missing-database' };
  if (status === 400 || status === 413 || status === 422) {
    return {
      kind: 'rejected',
      reason: `InfluxDB refused the batch (HTTP ${status}): ${error ?? 'no detail'}`,
    };
  }
  return { kind: 'transient', reason: `InfluxDB answered HTTP ${status}: ${error ?? 'no detail'}` };
}

/** Delay before JetStream redelivers a message, growing with each failed delivery. */
export function redeliveryDelayMs(deliveryCount: number): number {
  return Math.min(30_000, 500 * 2 ** Math.max(0, deliveryCount - 1));
}
