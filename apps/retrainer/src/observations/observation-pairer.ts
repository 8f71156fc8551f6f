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

/** What offering an observation did. */
export type OfferResult =
  | { kind: 'paired'; other: PendingObservation }
  | { kind: 'waiting' }
  /** Its key already waits on the same side, or was paired within the TTL: ignored. */
  | { kind: 'duplicate' };

/**
 * Predictions and actuals waiting for their counterpart, in memory (mirrored in PostgreSQL
 * at each commit). Map order is arrival order, which is also expiry order for one TTL, so a
 * sweep stops at the first entry that has not expired.
 */
export interface DuplicateMemory {
  /** How long a paired key is remembered (at most the pairing TTL). */
  windowMs: number;
  /** Most keys remembered; beyond it the oldest are forgotten early (bounded memory). */
  maxKeys: number;
}

export class ObservationPairer {
  private readonly pending = new Map<string, PendingObservation>();
  /**
   * Keys paired recently (tenant, model, key → until when), in pairing order, so that an
   * observation repeating one is recognised as a duplicate instead of waiting and pairing
   * later with an observation it never belonged to. In memory only: after a restart the
   * keys paired before it are forgotten.
   */
  private readonly paired = new Map<string, number>();
  /** Waiting predictions and actuals per tenant and model, kept as entries come and go. */
  private readonly perModel = new Map<string, { predictions: number; actuals: number }>();

  constructor(
    private readonly changes: PairChanges,
    private readonly duplicates: DuplicateMemory = { windowMs: 3_600_000, maxKeys: 200_000 },
  ) {}

  get size(): number {
    return this.pending.size;
  }

  restore(rows: PendingObservation[]): void {
    for (const row of rows) this.keep(pendingId(row), row);
  }

  /**
   * Offers one observation: returns its waiting counterpart (and forgets it, remembering the
   * key as paired until the TTL ends), or keeps it waiting until `expiresAt`. An observation
   * whose key already waits on the same side, or was paired within the TTL, is a duplicate:
   * the first one stands (documented in docs/retrainer.md) and the caller counts it.
   */
  offer(
    tenant: string,
    model: string,
    kind: ObservationKind,
    pairKey: string,
    observation: Observation,
    receivedAt: number,
    ttlMs: number,
  ): OfferResult {
    const base = `${tenant}\u0000${model}\u0000${pairKey}\u0000`;
    const id = base + kind;
    const pairedUntil = this.paired.get(base);
    if (this.pending.has(id) || (pairedUntil !== undefined && pairedUntil > receivedAt))
      return { kind: 'duplicate' };
    const otherId = base + (kind === 'prediction' ? 'actual' : 'prediction');
    const other = this.pending.get(otherId);
    if (other) {
      this.drop(otherId, other);
      this.paired.delete(base);
      this.paired.set(base, receivedAt + Math.min(ttlMs, this.duplicates.windowMs));
      if (this.paired.size > this.duplicates.maxKeys)
        this.paired.delete(this.paired.keys().next().value!);
      return { kind: 'paired', other };
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
    this.keep(id, entry);
    this.changes.added(entry);
    return { kind: 'waiting' };
  }

  /** Removes and returns what expired by `now` (and forgets paired keys past their window). */
  expire(now: number): PendingObservation[] {
    for (const [base, until] of this.paired) {
      if (until > now) break;
      this.paired.delete(base);
    }
    const expired: PendingObservation[] = [];
    for (const [id, entry] of this.pending) {
      if (entry.expiresAt > now) {
        // Arrival order is near expiry order; an entry stored late from a replay may sit
        // behind a younger one, so keep scanning a little beyond the first live entry.
        if (entry.receivedAt > now) break;
        continue;
      }
      this.drop(id, entry);
      expired.push(entry);
    }
    return expired;
  }

  countFor(tenant: string, model: string): { predictions: number; actuals: number } {
    return { ...(this.perModel.get(`${tenant}\u0000${model}`) ?? { predictions: 0, actuals: 0 }) };
  }

  private keep(id: string, entry: PendingObservation): void {
    this.pending.set(id, entry);
    this.tally(entry, 1);
  }

  private drop(id: string, entry: PendingObservation): void {
    this.pending.delete(id);
    this.tally(entry, -1);
    this.changes.removed(entry);
  }

  private tally(entry: PendingObservation, by: 1 | -1): void {
    const key = `${entry.tenant}\u0000${entry.model}`;
    let counts = this.perModel.get(key);
    if (!counts) {
      counts = { predictions: 0, actuals: 0 };
      this.perModel.set(key, counts);
    }
    if (entry.kind === 'prediction') counts.predictions += by;
    else counts.actuals += by;
  }
}
