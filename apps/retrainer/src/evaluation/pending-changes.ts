import type { WindowEvaluation } from '@iotwins/messaging';
import type { PendingObservation, PairChanges } from '../observations/observation-pairer';
import { pendingId } from '../observations/observation-pairer';
import type { ActionRecord, EvaluationSink, TransitionRecord } from './monitor.machine';

export interface ObservationCounts {
  paired: number;
  expiredPredictions: number;
  expiredActuals: number;
  /** Observations refused (dead-lettered) for their content. */
  invalid: number;
  /** Pairs whose values did not fit a monitor's task (a label for a regression). */
  mismatched: number;
  /** Observations of a model no monitor watches, or of a version none watches. */
  unmonitored: number;
  /** Predictions ignored because their key already waited, or was paired within the TTL. */
  duplicatePredictions: number;
  /** Actuals ignored likewise (e.g. a resent actual after its pair was made). */
  duplicateActuals: number;
}

export const emptyCounts = (): ObservationCounts => ({
  paired: 0,
  expiredPredictions: 0,
  expiredActuals: 0,
  invalid: 0,
  mismatched: 0,
  unmonitored: 0,
  duplicatePredictions: 0,
  duplicateActuals: 0,
});

/** What one commit writes, serialised when the batch is cut so later changes wait. */
export interface CommitBatch {
  position: number | null;
  states: { id: string; state: unknown }[];
  evaluations: {
    monitor_id: string;
    seq: number;
    version: number | null;
    evaluation: WindowEvaluation;
  }[];
  transitions: ({ monitor_id: string } & TransitionRecord)[];
  actions: ({ monitor_id: string } & ActionRecord)[];
  pendingAdded: PendingObservation[];
  pendingRemoved: PendingObservation[];
  counts: { tenant: string; model: string; counts: ObservationCounts }[];
  /** Per model key, what the API shows once this batch is committed (not written). */
  views: Map<string, ObservationCounts & { pendingPredictions: number; pendingActuals: number }>;
}

/** A pending observation already written to PostgreSQL, so its removal must be written too. */
const PERSISTED = Symbol('persisted');
type Tracked = PendingObservation & { [PERSISTED]?: boolean };

/** Collects the effects of the observations processed since the last commit. */
export class PendingChanges implements EvaluationSink, PairChanges {
  readonly dirtyMonitors = new Set<string>();
  readonly dirtyCounts = new Set<string>();
  /** Models whose waiting observations changed (for the committed view only). */
  readonly dirtyViews = new Set<string>();
  evaluations: CommitBatch['evaluations'] = [];
  transitions: CommitBatch['transitions'] = [];
  actions: CommitBatch['actions'] = [];
  private addedRows = new Map<string, Tracked>();
  private removedRows = new Map<string, Tracked>();
  position: number | null = null;

  static markPersisted(rows: PendingObservation[]): void {
    for (const row of rows) (row as Tracked)[PERSISTED] = true;
  }

  get isEmpty(): boolean {
    return (
      this.position === null &&
      this.dirtyMonitors.size === 0 &&
      this.dirtyCounts.size === 0 &&
      this.addedRows.size === 0 &&
      this.removedRows.size === 0 &&
      this.evaluations.length === 0 &&
      this.transitions.length === 0 &&
      this.actions.length === 0
    );
  }

  evaluation(
    monitorId: string,
    seq: number,
    version: number | null,
    evaluation: WindowEvaluation,
  ): void {
    this.evaluations.push({ monitor_id: monitorId, seq, version, evaluation });
  }

  transition(monitorId: string, transition: TransitionRecord): void {
    this.transitions.push({ monitor_id: monitorId, ...transition });
  }

  action(monitorId: string, action: ActionRecord): void {
    this.actions.push({ monitor_id: monitorId, ...action });
  }

  added(pending: PendingObservation): void {
    this.addedRows.set(pendingId(pending), pending);
  }

  removed(pending: PendingObservation): void {
    const id = pendingId(pending);
    if (this.addedRows.get(id) === pending) this.addedRows.delete(id);
    if ((pending as Tracked)[PERSISTED]) this.removedRows.set(id, pending);
  }

  /** Pending rows to write and to delete; the written ones are marked as persisted. */
  takePending(): { added: PendingObservation[]; removed: PendingObservation[] } {
    const added = [...this.addedRows.values()];
    const removed = [...this.removedRows.values()];
    for (const row of added) (row as Tracked)[PERSISTED] = true;
    return { added, removed };
  }
}
