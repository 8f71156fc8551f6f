import { Inject, Injectable } from '@nestjs/common';
import { pairingKey, type Observation, type ObservationKind } from '@iotwins/messaging';
import {
  ObservationPairer,
  type PairChanges,
  type PendingObservation,
} from '../observations/observation-pairer';
import type { EngineSnapshot } from './evaluation-state.repository';
import {
  MonitorMachine,
  type EvaluationSink,
  type MonitorDefinition,
  type RuntimeState,
  type VersionFacts,
} from './monitor.machine';
import {
  emptyCounts,
  PendingChanges,
  type CommitBatch,
  type ObservationCounts,
} from './pending-changes';

export interface EngineOptions {
  pairingTtlMs: number;
  /** How long, and how many, paired keys are remembered to recognise duplicates. */
  duplicateWindowMs: number;
  duplicateMaxKeys: number;
}
export const ENGINE_OPTIONS = Symbol('ENGINE_OPTIONS');

const modelKey = (tenant: string, model: string): string => `${tenant}\u0000${model}`;

type CommittedView = ObservationCounts & { pendingPredictions: number; pendingActuals: number };

/** What one message's observations did beyond the monitors' state. */
export interface IngestResult {
  /** Monitors whose alias may have moved (a prediction of another version came). */
  otherVersions: string[];
  duplicatePredictions: number;
  duplicateActuals: number;
}

/**
 * All monitors in memory, fed observation by observation: pairs predictions with actuals and
 * hands each pair to the monitors of its model. Processing is synchronous; `cut()` takes
 * what changed since the last commit, serialised at that instant, for one transaction.
 */
@Injectable()
export class EvaluationEngine {
  private machines = new Map<string, MonitorMachine>();
  private byModel = new Map<string, MonitorMachine[]>();
  private counts = new Map<string, { tenant: string; model: string; counts: ObservationCounts }>();
  /**
   * What the API shows per model: the counts and waiting observations as of the last commit
   * that succeeded, so a view never reports work a failed commit lost (and a reload redoes).
   */
  private committedViews = new Map<string, CommittedView>();
  private changes = new PendingChanges();
  /** Machines and the pairer write through this, so a cut can swap the collector under them. */
  private readonly forward: EvaluationSink & PairChanges = {
    evaluation: (...args) => this.changes.evaluation(...args),
    transition: (...args) => this.changes.transition(...args),
    action: (...args) => this.changes.action(...args),
    added: (pending) => {
      this.changes.added(pending);
      this.changes.dirtyViews.add(modelKey(pending.tenant, pending.model));
    },
    removed: (pending) => {
      this.changes.removed(pending);
      this.changes.dirtyViews.add(modelKey(pending.tenant, pending.model));
    },
  };
  private pairer: ObservationPairer;
  /** Serialises commits and monitor writes, so a commit never overwrites a newer monitor. */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(@Inject(ENGINE_OPTIONS) private readonly options: EngineOptions) {
    this.pairer = this.newPairer();
  }

  private newPairer(): ObservationPairer {
    return new ObservationPairer(this.forward, {
      windowMs: this.options.duplicateWindowMs,
      maxKeys: this.options.duplicateMaxKeys,
    });
  }

  /** Replaces everything in memory with what PostgreSQL holds. */
  restore(snapshot: EngineSnapshot): void {
    this.machines = new Map();
    this.byModel = new Map();
    this.counts = new Map();
    this.changes = new PendingChanges();
    this.pairer = this.newPairer();
    for (const { definition, state } of snapshot.monitors) this.register(definition, state);
    PendingChanges.markPersisted(snapshot.pending);
    this.pairer.restore(snapshot.pending);
    for (const row of snapshot.counts)
      this.counts.set(modelKey(row.tenant, row.model), {
        ...row,
        counts: { ...emptyCounts(), ...row.counts },
      });
    this.committedViews = new Map();
    const keys = new Set([
      ...this.counts.keys(),
      ...snapshot.pending.map((row) => modelKey(row.tenant, row.model)),
    ]);
    for (const key of keys) this.committedViews.set(key, this.viewOf(key));
  }

  /** Makes what a batch wrote the view the API shows; called once its commit succeeded. */
  committed(batch: CommitBatch): void {
    for (const [key, view] of batch.views) this.committedViews.set(key, view);
  }

  /** Runs `fn` with no commit in between (monitor writes, commits). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  register(definition: MonitorDefinition, state: RuntimeState): MonitorMachine {
    this.unregister(definition.id);
    const machine = new MonitorMachine(definition, state, this.forward);
    this.machines.set(definition.id, machine);
    const key = modelKey(definition.tenant, definition.model);
    this.byModel.set(key, [...(this.byModel.get(key) ?? []), machine]);
    return machine;
  }

  unregister(id: string): void {
    const machine = this.machines.get(id);
    if (!machine) return;
    this.machines.delete(id);
    this.changes.dirtyMonitors.delete(id);
    const key = modelKey(machine.definition.tenant, machine.definition.model);
    const rest = (this.byModel.get(key) ?? []).filter((m) => m !== machine);
    if (rest.length > 0) this.byModel.set(key, rest);
    else this.byModel.delete(key);
  }

  machine(id: string): MonitorMachine | undefined {
    return this.machines.get(id);
  }

  allMachines(): MonitorMachine[] {
    return [...this.machines.values()];
  }

  /** Counts of a model as committed (see `committedViews`). */
  countsOf(tenant: string, model: string): CommittedView {
    return {
      ...emptyCounts(),
      pendingPredictions: 0,
      pendingActuals: 0,
      ...this.committedViews.get(modelKey(tenant, model)),
    };
  }

  private viewOf(key: string): CommittedView {
    const entry = this.counts.get(key);
    const [tenant = '', model = ''] = key.split('\u0000');
    const pending = this.pairer.countFor(tenant, model);
    return {
      ...emptyCounts(),
      ...entry?.counts,
      pendingPredictions: pending.predictions,
      pendingActuals: pending.actuals,
    };
  }

  /**
   * Processes the observations of one message. `at` is when JetStream stored it, so a replay
   * after a restart judges windows exactly as the first run did.
   */
  ingest(
    kind: ObservationKind,
    tenant: string,
    model: string,
    observations: Observation[],
    at: number,
  ): IngestResult {
    const result: IngestResult = {
      otherVersions: [],
      duplicatePredictions: 0,
      duplicateActuals: 0,
    };
    const machines = this.byModel.get(modelKey(tenant, model));
    const counts = this.countsFor(tenant, model);
    if (!machines) {
      counts.unmonitored += observations.length;
      return result;
    }
    const versionsSeen = result.otherVersions;
    for (const observation of observations) {
      if (kind === 'prediction' && observation.features) {
        for (const machine of machines)
          if (this.watches(machine, observation)) {
            machine.addFeatures(observation.features, at);
            this.changes.dirtyMonitors.add(machine.definition.id);
          }
      }
      const offered = this.pairer.offer(
        tenant,
        model,
        kind,
        pairingKey(observation),
        observation,
        at,
        this.options.pairingTtlMs,
      );
      if (offered.kind === 'duplicate') {
        if (kind === 'prediction') {
          counts.duplicatePredictions += 1;
          result.duplicatePredictions += 1;
        } else {
          counts.duplicateActuals += 1;
          result.duplicateActuals += 1;
        }
        continue;
      }
      if (offered.kind !== 'paired') continue;
      const other = offered.other;
      const prediction = kind === 'prediction' ? observation : other.observation;
      const actual = kind === 'actual' ? observation : other.observation;
      counts.paired += 1;
      let watched = false;
      for (const machine of machines) {
        if (!this.watches(machine, prediction)) {
          // A prediction of another version than the alias's: the alias may have moved.
          if (prediction.version !== undefined && machine.definition.alias !== null)
            versionsSeen.push(machine.definition.id);
          continue;
        }
        watched = true;
        if (!machine.addPair(prediction.value, actual.value, at)) counts.mismatched += 1;
        this.changes.dirtyMonitors.add(machine.definition.id);
      }
      if (!watched) counts.unmonitored += 1;
    }
    return result;
  }

  countInvalid(tenant: string, model: string, n: number): void {
    this.countsFor(tenant, model).invalid += n;
  }

  /** Records that every message up to this stream sequence has been processed. */
  advance(seq: number): void {
    if (this.changes.position === null || seq > this.changes.position) this.changes.position = seq;
  }

  /** Expires what waited too long for its counterpart, counting it per model. */
  sweep(now: number): PendingObservation[] {
    const expired = this.pairer.expire(now);
    for (const entry of expired) {
      const counts = this.countsFor(entry.tenant, entry.model);
      if (entry.kind === 'prediction') counts.expiredPredictions += 1;
      else counts.expiredActuals += 1;
    }
    return expired;
  }

  switchVersion(id: string, version: VersionFacts | null, reason: string, at: number): void {
    const machine = this.machines.get(id);
    if (!machine) return;
    machine.switchVersion(version, reason, at);
    this.changes.dirtyMonitors.add(id);
  }

  get hasChanges(): boolean {
    return !this.changes.isEmpty;
  }

  /** Takes the changes since the last cut, serialised now, and starts collecting anew. */
  cut(): CommitBatch | null {
    const changes = this.changes;
    if (changes.isEmpty) return null;
    this.changes = new PendingChanges();
    const pending = changes.takePending();
    return {
      position: changes.position,
      states: [...changes.dirtyMonitors]
        .map((id) => this.machines.get(id))
        .filter((m): m is MonitorMachine => m !== undefined)
        .map((m) => ({
          id: m.definition.id,
          state: JSON.parse(JSON.stringify(m.state)) as unknown,
        })),
      evaluations: changes.evaluations,
      transitions: changes.transitions,
      actions: changes.actions,
      pendingAdded: pending.added,
      pendingRemoved: pending.removed,
      counts: [...changes.dirtyCounts]
        .map((key) => this.counts.get(key)!)
        .map((c) => ({ ...c, counts: { ...c.counts } })),
      views: new Map(
        [...new Set([...changes.dirtyCounts, ...changes.dirtyViews])].map((key) => [
          key,
          this.viewOf(key),
        ]),
      ),
    };
  }

  private watches(machine: MonitorMachine, prediction: Observation): boolean {
    const version = machine.version;
    if (version === null) return false;
    return prediction.version === undefined || prediction.version === version;
  }

  private countsFor(tenant: string, model: string): ObservationCounts {
    const key = modelKey(tenant, model);
    let entry = this.counts.get(key);
    if (!entry) {
      entry = { tenant, model, counts: emptyCounts() };
      this.counts.set(key, entry);
    }
    this.changes.dirtyCounts.add(key);
    return entry.counts;
  }
}
