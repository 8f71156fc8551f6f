import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ModelRegistryClient, RegistryProblemError } from '../registry/model-registry.client';
import { EvaluationEngine } from './evaluation.engine';
import { versionFacts, type MonitorMachine, type VersionFacts } from './monitor.machine';

export interface AliasRefreshOptions {
  intervalMs: number;
}
export const ALIAS_REFRESH_OPTIONS = Symbol('ALIAS_REFRESH_OPTIONS');

/** Soonest a prediction naming another version makes a monitor ask the registry again. */
const SOON_MS = 1_000;

/**
 * Follows the aliases monitors watch: when the registry says an alias now points at another
 * version (a retrained model promoted, or a fallback after deactivation), the monitor starts
 * over on that version. Asked periodically, and at once when predictions name a version the
 * monitor does not know.
 */
@Injectable()
export class AliasRefresher implements OnApplicationShutdown {
  private readonly logger = new Logger(AliasRefresher.name);
  private timer: NodeJS.Timeout | undefined;
  private readonly lastAsked = new Map<string, number>();
  private readonly inFlight = new Set<string>();

  constructor(
    @Inject(ALIAS_REFRESH_OPTIONS) private readonly options: AliasRefreshOptions,
    private readonly engine: EvaluationEngine,
    private readonly registry: ModelRegistryClient,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      for (const machine of this.engine.allMachines())
        if (machine.definition.alias !== null) void this.refresh(machine);
    }, this.options.intervalMs);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  refreshSoon(monitorId: string): void {
    const machine = this.engine.machine(monitorId);
    if (!machine || Date.now() - (this.lastAsked.get(monitorId) ?? 0) < SOON_MS) return;
    void this.refresh(machine);
  }

  async refresh(machine: MonitorMachine): Promise<void> {
    const { id, tenant, model, alias, spec } = machine.definition;
    if (alias === null || this.inFlight.has(id)) return;
    this.inFlight.add(id);
    this.lastAsked.set(id, Date.now());
    try {
      let facts: VersionFacts | null;
      try {
        facts = versionFacts(spec, await this.registry.getVersion(tenant, model, { alias }));
      } catch (error) {
        if (!(error instanceof RegistryProblemError && error.status === 404)) throw error;
        facts = null;
      }
      // The monitor may have been replaced or deleted while the registry answered.
      if (this.engine.machine(id) !== machine) return;
      const now = facts?.version ?? null;
      if (now === machine.version) return;
      const reason =
        now === null
          ? `alias ${alias} points to no version any more (was version ${machine.version})`
          : `alias ${alias} now points to version ${now} (was ${machine.version ?? 'none'}); starting over`;
      this.engine.switchVersion(id, facts, reason, Date.now());
    } catch (error) {
      this.logger.warn({ monitorId: id, err: (error as Error).message }, 'alias look-up failed');
    } finally {
      this.inFlight.delete(id);
    }
  }
}
