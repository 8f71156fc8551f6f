import type { Observation, ObservationKind } from '@iotwins/messaging';

export interface PendingObservation {
  tenant: string;
  model: string;
  pairKey: string;
  kind: ObservationKind;
  observation: Observation;
  receivedAt: number;
  expiresAt: number;
}

/** Identity of a pending row: one per tenant, model, pairing key and kind. */
export function pendingId(
  p: Pick<PendingObservation, 'tenant' | 'model' | 'pairKey' | 'kind'>,
): string {
  return `${p.tenant}\u0000${p.model}\u0000${p.pairKey}\u0000${p.kind}`;
}

export interface PairChanges {
  added(pending: PendingObservation): void;
  removed(pending: PendingObservation): void;
}

/**
 * Predictions and actuals waiting for their counterpart, in memory (mirrored in PostgreSQL
 * at each commit). Map order is arrival order, which is also expiry order for one TTL, so a
 * sweep stops at the first entry that has not expired.
 */
export class ObservationPairer {
  private readonly pending = new Map<string, PendingObservation>();

  constructor(private readonly changes: PairChanges) {}

  get size(): number {
    return this.pending.size;
  }

  restore(rows: PendingObservation[]): void {
    for (const row of rows) this.pending.set(pendingId(row), row);
  }

  /**
   * Offers one observation: returns its waiting counterpart (and forgets it), or keeps it
   * waiting until `expiresAt`. A repeated key replaces the earlier one.
   */
  offer(
    tenant: string,
    model: string,
    kind: ObservationKind,
    pairKey: string,
    observation: Observation,
    receivedAt: number,
    ttlMs: number,
  ): PendingObservation | undefined {
    const otherKind: ObservationKind = kind === 'prediction' ? 'actual' : 'prediction';
    const otherId = pendingId({ tenant, model, pairKey, kind: otherKind });
    const other = this.pending.get(otherId);
    if (other) {
      this.pending.delete(otherId);
      this.changes.removed(other);
      return other;
    }
    const entry: PendingObservation = {
      tenant,
      model,
      pairKey,
      kind,
      observation,
      receivedAt,
      expiresAt: receivedAt + ttlMs,
    };
    const id = pendingId(entry);
    const previous = this.pending.get(id);
    if (previous) {
      this.pending.delete(id);
      this.changes.removed(previous);
    }
    this.pending.set(id, entry);
    this.changes.added(entry);
    return undefined;
  }

  /** Removes and returns what expired by `now`. */
  expire(now: number): PendingObservation[] {
    const expired: PendingObservation[] = [];
    for (const [id, entry] of this.pending) {
      if (entry.expiresAt > now) {
        // Arrival order is near expiry order; an entry stored late from a replay may sit
        // behind a younger one, so keep scanning a little beyond the first live entry.
        if (entry.receivedAt > now) break;
        continue;
      }
      this.pending.delete(id);
      this.changes.removed(entry);
      expired.push(entry);
    }
    return expired;
  }

  countFor(tenant: string, model: string): { predictions: number; actuals: number } {
    let predictions = 0;
    let actuals = 0;
    for (const entry of this.pending.values()) {
      if (entry.tenant !== tenant || entry.model !== model) continue;
      if (entry.kind === 'prediction') predictions += 1;
      else actuals += 1;
    }
    return { predictions, actuals };
  }
}
