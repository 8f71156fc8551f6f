import { randomUUID } from 'node:crypto';
import type { MonitorState, WindowEvaluation } from '@iotwins/messaging';
import { higherIsWorse, type MonitorSpec } from '../monitors/monitor-spec.schema';
import type { ModelVersion } from '../registry/model-version';
import {
  accumulate,
  emptyAccumulator,
  metricValue,
  type MetricAccumulator,
  type ObservedValue,
} from './metric.accumulator';
import {
  binIndex,
  isUsableProfile,
  populationStabilityIndex,
  type FeatureProfile,
} from './population-stability';

/** A monitor as the engine sees it: identity, spec and its running state. */
export interface MonitorDefinition {
  id: string;
  tenant: string;
  model: string;
  alias: string | null;
  pinnedVersion: number | null;
  spec: MonitorSpec;
}

export interface VersionFacts {
  version: number;
  /** The version's own validation value of the monitor's metric, if the registry has it. */
  baseline: number | null;
  lower: number | null;
  upper: number | null;
  lineage: ModelVersion['lineage'];
  profile: Record<string, FeatureProfile> | null;
}

/** Everything a monitor remembers between observations; stored as JSON at every commit. */
export interface RuntimeState {
  status: MonitorState;
  version: VersionFacts | null;
  window: { acc: MetricAccumulator; startedAt: number | null };
  pairsOnVersion: number;
  metricStreak: { bad: number; good: number };
  drift: { counts: Record<string, number[]>; n: number; streak: { bad: number; good: number } };
  evaluationSeq: number;
  transitionSeq: number;
  lastActionAt: number | null;
  /** The version whose degradation is not yet followed by a recovery. */
  degradedVersion: number | null;
  /** The latest evaluations, for the history a retrain request carries. */
  recent: WindowEvaluation[];
}

export interface TransitionRecord {
  seq: number;
  at: string;
  from: MonitorState;
  to: MonitorState;
  version: number | null;
  reason: string;
}

export type ActionKind = 'retrain' | 'webhook' | 'deactivate' | 'state-event';

export interface ActionRecord {
  id: string;
  kind: ActionKind;
  payload: Record<string, unknown>;
}

/** Where a monitor's effects go; the engine collects them for the next commit. */
export interface EvaluationSink {
  evaluation(
    monitorId: string,
    seq: number,
    version: number | null,
    evaluation: WindowEvaluation,
  ): void;
  transition(monitorId: string, transition: TransitionRecord): void;
  action(monitorId: string, action: ActionRecord): void;
}

const RECENT_KEPT = 20;

/** The version's validation value of the metric, from validationMetric or metrics. */
export function baselineOf(spec: MonitorSpec, version: ModelVersion): number | null {
  if (version.validationMetric && version.validationMetric.name.toLowerCase() === spec.metric)
    return version.validationMetric.value;
  for (const [name, value] of Object.entries(version.metrics))
    if (name.toLowerCase() === spec.metric) return value;
  return null;
}

export function versionFacts(spec: MonitorSpec, version: ModelVersion): VersionFacts {
  const baseline = baselineOf(spec, version);
  let lower: number | null = null;
  let upper: number | null = null;
  if (spec.tolerance.kind === 'absolute') {
    lower = spec.tolerance.min ?? null;
    upper = spec.tolerance.max ?? null;
  } else if (baseline !== null) {
    const d = spec.tolerance.maxDegradation;
    if (higherIsWorse(spec.metric)) upper = baseline * (1 + d);
    else lower = baseline * (1 - d);
  }
  const features = version.inputProfile?.features ?? null;
  const profile = features
    ? Object.fromEntries(Object.entries(features).filter(([, p]) => isUsableProfile(p)))
    : null;
  return { version: version.version, baseline, lower, upper, lineage: version.lineage, profile };
}

export function initialState(spec: MonitorSpec, version: VersionFacts | null): RuntimeState {
  return {
    status: 'collecting',
    version,
    window: { acc: emptyAccumulator(spec.task), startedAt: null },
    pairsOnVersion: 0,
    metricStreak: { bad: 0, good: 0 },
    drift: { counts: {}, n: 0, streak: { bad: 0, good: 0 } },
    evaluationSeq: 0,
    transitionSeq: 0,
    lastActionAt: null,
    degradedVersion: null,
    recent: [],
  };
}

/**
 * The state machine of one monitor: windows close as pairs arrive (counted or timed, by the
 * time the observation was stored), each closed window is judged against the band, and
 * the monitor moves collecting -> healthy -> degraded -> action-taken -> recovered. Actions
 * fire only on entering degraded, and not within the cool-down of the last one, so one
 * degradation causes one action however many windows stay bad.
 */
export class MonitorMachine {
  constructor(
    readonly definition: MonitorDefinition,
    readonly state: RuntimeState,
    private readonly sink: EvaluationSink,
  ) {}

  get version(): number | null {
    return this.state.version?.version ?? null;
  }

  /** Adds one paired observation; returns false when its values do not fit the task. */
  addPair(predicted: ObservedValue, actual: ObservedValue, at: number): boolean {
    const { spec } = this.definition;
    const window = this.state.window;
    if (spec.window.kind === 'time') {
      if (window.startedAt !== null && at >= window.startedAt + spec.window.seconds * 1000)
        this.closeMetricWindow(at);
      window.startedAt ??= at;
    }
    if (!accumulate(window.acc, predicted, actual)) return false;
    this.state.pairsOnVersion += 1;
    if (spec.window.kind === 'count' && window.acc.n >= spec.window.size)
      this.closeMetricWindow(at);
    return true;
  }

  /** Adds the features of one prediction to the drift window. */
  addFeatures(features: Record<string, number>, at: number): void {
    const drift = this.definition.spec.drift;
    const profile = this.state.version?.profile;
    if (!drift || !profile) return;
    let counted = false;
    for (const name of drift.features ?? Object.keys(profile)) {
      const reference = profile[name];
      const value = features[name];
      if (!reference || value === undefined) continue;
      const counts = (this.state.drift.counts[name] ??= new Array<number>(
        reference.counts.length,
      ).fill(0));
      counts[binIndex(reference, value)]! += 1;
      counted = true;
    }
    if (!counted) return;
    this.state.drift.n += 1;
    if (this.state.drift.n >= drift.windowSize) this.closeDriftWindow(at);
  }

  /** The alias now points elsewhere (or nowhere): start over on that version. */
  switchVersion(version: VersionFacts | null, reason: string, at: number): void {
    const spec = this.definition.spec;
    const from = this.state.status;
    Object.assign(this.state, {
      version,
      window: { acc: emptyAccumulator(spec.task), startedAt: null },
      pairsOnVersion: 0,
      metricStreak: { bad: 0, good: 0 },
      drift: { counts: {}, n: 0, streak: { bad: 0, good: 0 } },
    });
    this.transition(from, 'collecting', reason, at);
  }

  private closeMetricWindow(at: number): void {
    const { spec } = this.definition;
    const acc = this.state.window.acc;
    const value = metricValue(acc, spec.metric, spec.positiveLabel);
    const facts = this.state.version;
    const lower = facts?.lower ?? null;
    const upper = facts?.upper ?? null;
    const judged =
      value !== null &&
      this.state.pairsOnVersion >= spec.minObservations &&
      (lower !== null || upper !== null);
    const outOfBand =
      value !== null && ((lower !== null && value < lower) || (upper !== null && value > upper));
    const evaluation: WindowEvaluation = {
      window: this.state.evaluationSeq + 1,
      trigger: 'metric',
      metric: spec.metric,
      value: value ?? Number.NaN,
      observations: acc.n,
      lower,
      upper,
      outOfBand,
      judged,
      closedAt: new Date(at).toISOString(),
    };
    this.state.window = { acc: emptyAccumulator(spec.task), startedAt: null };
    if (value === null) return;
    this.record(evaluation);
    if (judged) this.judge('metric', outOfBand, at);
  }

  private closeDriftWindow(at: number): void {
    const drift = this.definition.spec.drift!;
    const profile = this.state.version!.profile!;
    let worst = 0;
    let worstFeature: string | undefined;
    for (const [name, counts] of Object.entries(this.state.drift.counts)) {
      const psi = populationStabilityIndex(profile[name]!.counts, counts);
      if (psi >= worst) {
        worst = psi;
        worstFeature = name;
      }
    }
    const outOfBand = worst > drift.threshold;
    this.record({
      window: this.state.evaluationSeq + 1,
      trigger: 'drift',
      metric: 'psi',
      value: worst,
      observations: this.state.drift.n,
      lower: null,
      upper: drift.threshold,
      outOfBand,
      judged: true,
      feature: worstFeature,
      closedAt: new Date(at).toISOString(),
    });
    this.state.drift.counts = {};
    this.state.drift.n = 0;
    this.judge('drift', outOfBand, at);
  }

  private record(evaluation: WindowEvaluation): void {
    this.state.evaluationSeq = evaluation.window;
    this.state.recent.push(evaluation);
    if (this.state.recent.length > RECENT_KEPT) this.state.recent.shift();
    this.sink.evaluation(this.definition.id, evaluation.window, this.version, evaluation);
  }

  private judge(trigger: 'metric' | 'drift', bad: boolean, at: number): void {
    const { spec } = this.definition;
    const streak = trigger === 'metric' ? this.state.metricStreak : this.state.drift.streak;
    if (bad) {
      streak.bad += 1;
      streak.good = 0;
    } else {
      streak.good += 1;
      streak.bad = 0;
    }
    const needed =
      trigger === 'metric' ? spec.consecutiveBadWindows : (spec.drift?.consecutiveBadWindows ?? 1);
    const anyBad = this.state.metricStreak.bad > 0 || this.state.drift.streak.bad > 0;
    const status = this.state.status;
    switch (status) {
      case 'collecting':
      case 'healthy':
      case 'recovered':
        if (bad && streak.bad >= needed) this.degrade(trigger, needed, at);
        else if (!bad && !anyBad && status === 'collecting') {
          const recovering =
            this.state.degradedVersion !== null && this.state.degradedVersion !== this.version;
          this.transition(
            status,
            recovering ? 'recovered' : 'healthy',
            recovering
              ? `version ${this.version} is within the band after version ${this.state.degradedVersion} degraded`
              : `${this.describeLast()} is within the band`,
            at,
          );
          if (recovering) this.state.degradedVersion = null;
        } else if (!bad && !anyBad && status === 'recovered') {
          this.transition(status, 'healthy', `${this.describeLast()} is still within the band`, at);
        }
        return;
      case 'degraded':
      case 'action-taken':
        if (!bad && !anyBad && streak.good >= spec.recoveryWindows) {
          this.state.degradedVersion = null;
          this.transition(
            status,
            'recovered',
            `${streak.good} consecutive window(s) back within the band: ${this.describeLast()}`,
            at,
          );
        }
        return;
      default: {
        const unreachable: never = status;
        throw new Error(`unknown monitor state ${String(unreachable)}`);
      }
    }
  }

  private describeLast(): string {
    const last = this.state.recent[this.state.recent.length - 1];
    if (!last) return 'the window';
    return `${last.metric} ${round(last.value)} over ${last.observations} observations`;
  }

  private degrade(trigger: 'metric' | 'drift', windows: number, at: number): void {
    const { spec } = this.definition;
    const bad = this.state.recent.filter((e) => e.trigger === trigger).slice(-windows);
    const values = bad.map((e) => round(e.value)).join(', ');
    const last = bad[bad.length - 1];
    const reason =
      trigger === 'metric'
        ? `${windows} consecutive window(s) out of band [${last?.lower == null ? '-inf' : round(last.lower)}, ${last?.upper == null ? '+inf' : round(last.upper)}]: ${spec.metric} ${values}`
        : `input drift: population stability index ${values} above ${spec.drift?.threshold} (feature ${last?.feature}) for ${windows} window(s)`;
    const version = this.version;
    const from = this.state.status;
    this.state.degradedVersion = version;
    const cooldownEnds =
      this.state.lastActionAt === null
        ? null
        : this.state.lastActionAt + spec.cooldownSeconds * 1000;
    if (cooldownEnds !== null && at < cooldownEnds) {
      this.transition(
        from,
        'degraded',
        `${reason}; no action during the cool-down until ${new Date(cooldownEnds).toISOString()}`,
        at,
      );
      return;
    }
    this.transition(from, 'degraded', reason, at);
    if (version === null) return;
    const taken = this.takeActions(version, reason);
    if (taken.length === 0) return;
    this.state.lastActionAt = at;
    this.transition('degraded', 'action-taken', taken.join('; '), at);
  }

  private takeActions(version: number, reason: string): string[] {
    const { id, tenant, model, alias, spec } = this.definition;
    const history = [...this.state.recent];
    const lineage = this.state.version?.lineage ?? {};
    const taken: string[] = [];
    if (spec.actions.retrain) {
      this.sink.action(id, {
        id: randomUUID(),
        kind: 'retrain',
        payload: {
          monitorId: id,
          model,
          alias,
          version,
          reason,
          history,
          trainingData: lineage.trainingData,
          codeRevision: lineage.codeRevision,
          runId: lineage.runId,
        },
      });
      taken.push(`retrain of ${model} version ${version} requested`);
    }
    if (spec.actions.deactivate) {
      const fallbackVersion = alias === null ? null : spec.actions.deactivate.fallbackVersion;
      this.sink.action(id, {
        id: randomUUID(),
        kind: 'deactivate',
        payload: { monitorId: id, tenant, model, alias, version, fallbackVersion, reason },
      });
      taken.push(
        alias === null
          ? `version ${version} deactivated`
          : `alias ${alias} moved from version ${version} to ${fallbackVersion ?? 'none'}`,
      );
    }
    if (spec.actions.webhook) {
      this.sink.action(id, {
        id: randomUUID(),
        kind: 'webhook',
        payload: {
          url: spec.actions.webhook.url,
          body: { monitorId: id, tenant, model, alias, version, reason, history },
        },
      });
      taken.push(`webhook ${new URL(spec.actions.webhook.url).host} called`);
    }
    return taken;
  }

  private transition(from: MonitorState, to: MonitorState, reason: string, at: number): void {
    this.state.status = to;
    this.state.transitionSeq += 1;
    const record: TransitionRecord = {
      seq: this.state.transitionSeq,
      at: new Date(at).toISOString(),
      from,
      to,
      version: this.version,
      reason,
    };
    this.sink.transition(this.definition.id, record);
    const { id, model, alias, tenant } = this.definition;
    this.sink.action(id, {
      id: randomUUID(),
      kind: 'state-event',
      payload: { tenant, monitorId: id, model, alias, version: this.version, from, to, reason },
    });
  }
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
