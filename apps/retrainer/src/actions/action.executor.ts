import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import {
  createEvent,
  EventPublisher,
  RetrainerEventType,
  modelDeactivatedEventDataSchema,
  monitorStateChangedEventDataSchema,
  retrainRequestedEventDataSchema,
  retrainerEventSubject,
} from '@iotwins/messaging';
import { APP_NAME } from '../app.name';
import { ModelRegistryClient, RegistryProblemError } from '../registry/model-registry.client';
import { ActionsRepository, type DueAction } from './actions.repository';
import { WebhookSender } from './webhook.sender';

export interface ActionExecutorOptions {
  maxAttempts: number;
  retryBaseMs: number;
  /** How long claimed actions stay hidden from other instances without a renewal. */
  leaseSeconds: number;
}
export const ACTION_EXECUTOR_OPTIONS = Symbol('ACTION_EXECUTOR_OPTIONS');

/** An error that retrying cannot fix (the registry refused the request). */
class PermanentActionError extends Error {}

const POLL_MS = 1_000;
const CLAIM_LIMIT = 50;

/**
 * Carries out the actions monitors decided, from the outbox in PostgreSQL: events (their id
 * is the action id, so JetStream stores a re-sent one once), signed webhooks and registry
 * calls, each retried with exponential back-off. An action decided before a crash is
 * carried out after the restart; none is decided twice.
 */
@Injectable()
export class ActionExecutor implements OnApplicationShutdown {
  private readonly logger = new Logger(ActionExecutor.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Actions claimed by this process and not yet settled; their lease is renewed. */
  private readonly held = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    @Inject(ACTION_EXECUTOR_OPTIONS) private readonly options: ActionExecutorOptions,
    private readonly repository: ActionsRepository,
    private readonly events: EventPublisher,
    private readonly registry: ModelRegistryClient,
    private readonly webhooks: WebhookSender,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), POLL_MS);
    // A third of the lease: two renewals may fail (a slow database) before it runs out.
    this.heartbeat = setInterval(
      () => void this.renewLeases(),
      (this.options.leaseSeconds * 1000) / 3,
    );
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    clearInterval(this.heartbeat);
  }

  private async renewLeases(): Promise<void> {
    try {
      await this.repository.renew([...this.held], this.options.leaseSeconds);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'action leases not renewed');
    }
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'action run failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const due = await this.repository.claimDue(CLAIM_LIMIT, this.options.leaseSeconds);
      for (const action of due) this.held.add(action.id);
      try {
        for (const action of due) await this.runOne(action);
      } finally {
        for (const action of due) this.held.delete(action.id);
      }
      if (due.length < CLAIM_LIMIT || this.stopped) return;
    }
  }

  private async runOne(action: DueAction): Promise<void> {
    try {
      const result = await this.execute(action);
      // No renewal may overwrite what settles it (a retry time) from here on.
      this.held.delete(action.id);
      await this.repository.complete(action.id, result);
    } catch (error) {
      this.held.delete(action.id);
      const message = (error as Error).message;
      const permanent =
        error instanceof PermanentActionError || action.attempts >= this.options.maxAttempts;
      this.logger.warn(
        { actionId: action.id, kind: action.kind, attempt: action.attempts, err: message },
        permanent ? 'action failed for good' : 'action failed; will retry',
      );
      await this.repository.failAttempt(
        action.id,
        message,
        permanent ? null : this.options.retryBaseMs * 2 ** (action.attempts - 1),
      );
    }
  }

  private async execute(action: DueAction): Promise<unknown> {
    const { tenant } = action;
    switch (action.kind) {
      case 'state-event': {
        const { tenant: _tenant, ...data } = action.payload;
        void _tenant;
        await this.publish(
          tenant,
          RetrainerEventType.MonitorStateChanged,
          action.id,
          monitorStateChangedEventDataSchema.parse(data),
        );
        return { published: RetrainerEventType.MonitorStateChanged };
      }
      case 'retrain': {
        const data = retrainRequestedEventDataSchema.parse(action.payload);
        await this.publish(tenant, RetrainerEventType.RetrainRequested, action.id, data);
        return { published: RetrainerEventType.RetrainRequested };
      }
      case 'webhook': {
        const { url, body } = action.payload as { url: string; body: unknown };
        const secret = await this.repository.webhookSecret(action.monitorId);
        if (secret === null)
          throw new PermanentActionError('the monitor has no webhook secret any more');
        const status = await this.webhooks.send(url, action.id, secret, {
          id: action.id,
          type: RetrainerEventType.RetrainRequested,
          data: body,
        });
        return { status };
      }
      case 'deactivate':
        return this.deactivate(action);
      default: {
        const unknown: never = action.kind;
        throw new PermanentActionError(`unknown action kind ${String(unknown)}`);
      }
    }
  }

  private async deactivate(action: DueAction): Promise<unknown> {
    const { tenant, payload } = action;
    const { monitorId, model, alias, version, fallbackVersion, reason } = payload as {
      monitorId: string;
      model: string;
      alias: string | null;
      version: number;
      fallbackVersion: number | null;
      reason: string;
    };
    const why = `retrainer monitor ${monitorId}: ${reason}`;
    try {
      if (alias !== null) {
        // Only move the alias off the degraded version; if someone promoted another version
        // meanwhile, that one is not ours to take away.
        let current: number | null;
        try {
          current = (await this.registry.getVersion(tenant, model, { alias })).version;
        } catch (error) {
          if (!(error instanceof RegistryProblemError && error.status === 404)) throw error;
          current = null;
        }
        if (current !== version)
          return { skipped: `alias ${alias} already points to ${current ?? 'no version'}` };
        await this.registry.setAlias(tenant, model, alias, fallbackVersion, why);
      } else {
        await this.registry.deactivateVersion(tenant, model, version, why);
      }
    } catch (error) {
      if (error instanceof RegistryProblemError && error.status < 500)
        throw new PermanentActionError(error.message);
      throw error;
    }
    const data = modelDeactivatedEventDataSchema.parse({
      monitorId,
      model,
      alias,
      version,
      fallbackVersion: alias === null ? null : fallbackVersion,
      reason,
    });
    await this.publish(tenant, RetrainerEventType.ModelDeactivated, action.id, data);
    return { alias, version, fallbackVersion: data.fallbackVersion };
  }

  private async publish<T>(
    tenant: string,
    type: RetrainerEventType,
    id: string,
    data: T,
  ): Promise<void> {
    const event = createEvent({ id, type, source: APP_NAME, tenant, data });
    await this.events.publish(retrainerEventSubject(tenant, type), event);
  }
}
