import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { nanos } from '@nats-io/nats-core';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { APP_CONFIG } from '@iotwins/config';
import {
  EVENTS_STREAM,
  NatsClient,
  consumeUntilStopped,
  requireStreams,
  eventEnvelopeSchema,
  type ConsumeLoop,
} from '@iotwins/messaging';
import type { ModelRegistryConfig } from '../app.config';
import { ModelsRepository } from '../models/models.repository';
import { WebhookSender } from './webhook.sender';
import { WebhooksRepository } from './webhooks.repository';

/** The durable consumer of the registry's own events that feeds webhooks. */
export const WEBHOOKS_CONSUMER = 'model-registry-webhooks';
const MAX_RETRY_DELAY_MS = 5 * 60 * 1000;

/**
 * Delivers the registry's events to the webhooks of their model. It reads them back from the
 * EVENTS stream (durable consumer, so a restart loses nothing): a delivery that fails is
 * retried by JetStream after a doubling delay, up to MODEL_REGISTRY_WEBHOOK_MAX_ATTEMPTS, and
 * every attempt is logged. A webhook that already took an event is not sent it again.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private loop: ConsumeLoop | undefined;

  constructor(
    private readonly nats: NatsClient,
    private readonly models: ModelsRepository,
    private readonly webhooks: WebhooksRepository,
    private readonly sender: WebhookSender,
    @Inject(APP_CONFIG) private readonly config: ModelRegistryConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const jsm = await jetstreamManager(this.nats.nc);
    // The operator's provisioning step creates EVENTS; the registry creates only its durable.
    await requireStreams(jsm, EVENTS_STREAM);
    await jsm.consumers
      .add(EVENTS_STREAM, {
        durable_name: WEBHOOKS_CONSUMER,
        filter_subject: 'events.*.models.>',
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.New,
        ack_wait: nanos(this.config.MODEL_REGISTRY_WEBHOOK_TIMEOUT_MS * 4 + 10_000),
      })
      .catch(async (error: unknown) => {
        // Already there (another replica, an earlier start): use it as it is.
        if (!/already in use|exists/i.test((error as Error).message)) throw error;
      });
    const consumer = await jetstream(this.nats.nc).consumers.get(EVENTS_STREAM, WEBHOOKS_CONSUMER);
    this.loop = consumeUntilStopped(
      consumer,
      { maxMessages: 50, retryDelayMs: 1_000, logger: this.logger, what: 'webhook dispatcher' },
      async (message) => {
        try {
          const retry = await this.dispatch(message.string(), message.info.deliveryCount);
          if (retry === undefined) message.ack();
          else message.nak(retry);
        } catch (error) {
          this.logger.warn({ err: error }, 'webhook dispatch failed; retrying');
          message.nak(this.config.MODEL_REGISTRY_WEBHOOK_RETRY_BASE_MS);
        }
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  /** Sends the event to each webhook that wants it; returns a retry delay if one failed. */
  private async dispatch(raw: string, attempt: number): Promise<number | undefined> {
    const parsed = eventEnvelopeSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) return undefined;
    const event = parsed.data;
    const modelName = (event.data as { model?: unknown } | null)?.model;
    if (typeof modelName !== 'string') return undefined;
    const model = await this.models.findByName(event.tenant, modelName);
    if (!model) return undefined;
    const last = attempt >= this.config.MODEL_REGISTRY_WEBHOOK_MAX_ATTEMPTS;
    let failed = false;
    for (const webhook of await this.webhooks.ofModel(event.tenant, model._id)) {
      if (webhook.events.length > 0 && !webhook.events.includes(event.type)) continue;
      if (webhook.createdAt.getTime() > Date.parse(event.time)) continue;
      const id = `${webhook._id}/${event.id}`;
      const logged = await this.webhooks.delivery(id);
      if (logged && logged.state !== 'pending') continue;
      const result = await this.sender.send(webhook.url, webhook.secret, event, raw);
      const state = result.ok ? 'delivered' : last ? 'failed' : 'pending';
      await this.webhooks.recordAttempt(
        {
          _id: id,
          tenant: event.tenant,
          webhookId: webhook._id,
          eventId: event.id,
          eventType: event.type,
          state,
        },
        {
          at: new Date(),
          ...(result.status !== undefined ? { status: result.status } : {}),
          ...(result.error !== undefined ? { error: result.error } : {}),
        },
      );
      if (!result.ok) failed = true;
    }
    if (!failed || last) return undefined;
    return Math.min(
      this.config.MODEL_REGISTRY_WEBHOOK_RETRY_BASE_MS * 2 ** (attempt - 1),
      MAX_RETRY_DELAY_MS,
    );
  }
}
