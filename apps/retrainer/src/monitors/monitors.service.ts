import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { OutboundPolicy, ProblemException } from '@iotwins/http';
import { DashboardReaders } from '../dashboard/dashboard-readers';
import { EvaluationEngine } from '../evaluation/evaluation.engine';
import {
  initialState,
  versionFacts,
  type MonitorDefinition,
  type TransitionRecord,
  type VersionFacts,
} from '../evaluation/monitor.machine';
import {
  ModelRegistryClient,
  RegistryProblemError,
  RegistryUnavailableError,
} from '../registry/model-registry.client';
import type { ModelVersion } from '../registry/model-version';
import type { MonitorSpec } from './monitor-spec.schema';
import { MonitorsRepository, type ActionRow, type MonitorRecord } from './monitors.repository';
import type { MonitorView } from './monitors.dto';
import { assertWebhookUrlAllowed } from './webhook-url.check';

const MAX_HISTORY = 1000;

/** Monitor CRUD: checks the model against the registry, then hands the monitor to the engine. */
@Injectable()
export class MonitorsService {
  constructor(
    private readonly repository: MonitorsRepository,
    private readonly registry: ModelRegistryClient,
    private readonly engine: EvaluationEngine,
    private readonly dashboardReaders: DashboardReaders,
    private readonly outbound: OutboundPolicy,
  ) {}

  async create(tenant: string, spec: MonitorSpec): Promise<MonitorView> {
    const view = await this.save(tenant, randomUUID(), spec, undefined);
    // A tenant's first monitor gives it its Grafana login (a no-op once it exists).
    await this.dashboardReaders.ensure(tenant);
    return view;
  }

  async replace(tenant: string, id: string, spec: MonitorSpec): Promise<MonitorView> {
    const existing = await this.get(tenant, id);
    return this.save(tenant, id, spec, existing);
  }

  async get(tenant: string, id: string): Promise<MonitorRecord> {
    const record = await this.repository.find(tenant, id);
    if (!record)
      throw ProblemException.of(404, 'monitor-not-found', `Monitor "${id}" does not exist`);
    return record;
  }

  async view(tenant: string, id: string): Promise<MonitorView> {
    return this.toView(await this.get(tenant, id));
  }

  async list(tenant: string, model?: string): Promise<MonitorView[]> {
    return (await this.repository.list(tenant, model)).map((record) => this.toView(record));
  }

  async delete(tenant: string, id: string): Promise<void> {
    await this.get(tenant, id);
    await this.engine.exclusive(async () => {
      this.engine.unregister(id);
      await this.repository.delete(tenant, id);
    });
  }

  async evaluations(tenant: string, id: string, afterWindow: number, limit: number) {
    await this.get(tenant, id);
    return this.repository.evaluations(id, afterWindow, Math.min(limit, MAX_HISTORY));
  }

  async transitions(tenant: string, id: string, limit: number): Promise<TransitionRecord[]> {
    await this.get(tenant, id);
    return this.repository.transitions(id, Math.min(limit, MAX_HISTORY));
  }

  async actions(tenant: string, id: string, limit: number): Promise<ActionRow[]> {
    await this.get(tenant, id);
    return this.repository.actions(id, Math.min(limit, MAX_HISTORY));
  }

  private async save(
    tenant: string,
    id: string,
    spec: MonitorSpec,
    existing: MonitorRecord | undefined,
  ): Promise<MonitorView> {
    if (spec.actions.webhook)
      await assertWebhookUrlAllowed(this.outbound, spec.actions.webhook.url);
    const version = await this.resolveVersion(tenant, spec);
    const facts = this.checkFacts(spec, version);
    const { webhook, ...actions } = spec.actions;
    const definition: MonitorDefinition = {
      id,
      tenant,
      model: spec.model,
      alias: spec.alias ?? null,
      pinnedVersion: spec.alias === undefined ? (spec.version ?? null) : null,
      // The webhook secret lives in its own column and never comes back out.
      spec: {
        ...spec,
        actions: webhook ? { ...actions, webhook: { url: webhook.url, secret: '' } } : actions,
      },
    };
    await this.engine.exclusive(async () => {
      const previous = existing ? this.engine.machine(id)?.state : undefined;
      const state = initialState(spec, facts);
      // History goes on where it was: sequence numbers are the keys of the history rows.
      state.evaluationSeq = previous?.evaluationSeq ?? 0;
      state.transitionSeq = (previous?.transitionSeq ?? 0) + 1;
      state.lastActionAt = previous?.lastActionAt ?? null;
      const transition: TransitionRecord = {
        seq: state.transitionSeq,
        at: new Date().toISOString(),
        from: previous?.status ?? 'collecting',
        to: 'collecting',
        version: facts.version,
        reason: existing
          ? `monitor changed; collecting again on version ${facts.version}`
          : `monitor created on version ${facts.version}${spec.alias ? ` (alias ${spec.alias})` : ''}`,
      };
      await this.repository.save(
        definition,
        webhook?.secret ?? null,
        state,
        transition,
        existing !== undefined,
      );
      this.engine.register(definition, state);
    });
    return this.view(tenant, id);
  }

  private async resolveVersion(tenant: string, spec: MonitorSpec): Promise<ModelVersion> {
    const ref = spec.alias !== undefined ? { alias: spec.alias } : { version: spec.version! };
    const named = spec.alias !== undefined ? `alias "${spec.alias}"` : `version ${spec.version}`;
    try {
      return await this.registry.getVersion(tenant, spec.model, ref);
    } catch (error) {
      if (error instanceof RegistryProblemError && error.status === 404) {
        throw ProblemException.of(
          422,
          'model-not-found',
          `The model registry has no model "${spec.model}" with ${named}: ${error.detail}`,
          {
            errors: [
              { pointer: spec.alias !== undefined ? '/alias' : '/version', detail: error.detail },
            ],
          },
        );
      }
      if (error instanceof RegistryProblemError && error.status < 500) {
        throw ProblemException.of(
          422,
          'model-registry-refused',
          `The model registry refused: ${error.detail}`,
        );
      }
      if (error instanceof RegistryUnavailableError || error instanceof RegistryProblemError) {
        throw ProblemException.of(
          503,
          'model-registry-unavailable',
          'The model registry did not answer; try again shortly',
          {},
          { 'retry-after': '5' },
        );
      }
      throw error;
    }
  }

  private checkFacts(spec: MonitorSpec, version: ModelVersion): VersionFacts {
    const facts = versionFacts(spec, version);
    if (spec.tolerance.kind === 'relative' && facts.baseline === null) {
      throw ProblemException.of(
        422,
        'no-validation-metric',
        `Version ${version.version} of "${spec.model}" records no validation ${spec.metric} to set a relative band against; use an absolute tolerance or record the metric in the registry`,
        {
          errors: [
            { pointer: '/tolerance', detail: `no validation ${spec.metric} in the registry` },
          ],
        },
      );
    }
    if (spec.drift) {
      const known = Object.keys(facts.profile ?? {});
      const wanted = spec.drift.features ?? known;
      const missing = wanted.filter((name) => !known.includes(name));
      if (known.length === 0 || missing.length > 0) {
        throw ProblemException.of(
          422,
          'no-input-profile',
          known.length === 0
            ? `Version ${version.version} of "${spec.model}" has no input profile to measure drift against`
            : `The input profile of version ${version.version} has no feature ${missing.join(', ')}`,
          {
            errors: [{ pointer: '/drift', detail: 'needs a reference profile of these features' }],
          },
        );
      }
    }
    return facts;
  }

  private toView(record: MonitorRecord): MonitorView {
    const { definition } = record;
    const machine = this.engine.machine(definition.id);
    const state = machine?.state;
    const { webhook, ...actions } = definition.spec.actions;
    return {
      id: definition.id,
      ...definition.spec,
      actions: webhook ? { ...actions, webhook: { url: webhook.url } } : actions,
      state: state?.status ?? 'collecting',
      currentVersion: state?.version?.version ?? null,
      band: {
        lower: state?.version?.lower ?? null,
        upper: state?.version?.upper ?? null,
        baseline: state?.version?.baseline ?? null,
      },
      pairsOnVersion: state?.pairsOnVersion ?? 0,
      windowsEvaluated: state?.evaluationSeq ?? 0,
      lastActionAt: state?.lastActionAt ? new Date(state.lastActionAt).toISOString() : null,
      observations: this.engine.countsOf(definition.tenant, definition.model),
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  }
}
