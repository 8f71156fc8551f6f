import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { headers as natsHeaders, nanos } from '@nats-io/nats-core';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import {
  NatsClient,
  OBSERVATIONS_STREAM,
  OBSERVATION_DEAD_LETTER_REASON_HEADER,
  consumeUntilStopped,
  decodeSubjectToken,
  DEAD_LETTER_STREAM,
  requireStreams,
  isSubjectToken,
  parseObservationMessage,
  observationsDeadLetterSubject,
  type ConsumeLoop,
  type ObservationKind,
} from '@iotwins/messaging';
import { ActionExecutor } from '../actions/action.executor';
import { EvaluationEngine } from '../evaluation/evaluation.engine';
import { EvaluationStateRepository } from '../evaluation/evaluation-state.repository';
import { AliasRefresher } from '../evaluation/alias.refresher';
import { ObservationsMetrics } from './observations.metrics';

export interface ObservationsConsumerOptions {
  consumer: string;
  batchMessages: number;
  flushMs: number;
  sweepMs: number;
}
export const OBSERVATIONS_CONSUMER_OPTIONS = Symbol('OBSERVATIONS_CONSUMER_OPTIONS');

/** How long JetStream waits for an ack before redelivering; commits take milliseconds. */
const ACK_WAIT_MS = 60_000;
const decoder = new TextDecoder();
const RECOVERY_RETRY_MS = 2_000;

/**
 * Drains OBSERVATIONS into the evaluation engine. Messages are acknowledged only after the
 * effects of their batch are committed to PostgreSQL together with the batch's last stream
 * sequence. At start (and after a failed commit) the engine reloads that committed state
 * and the durable is re-created to deliver from the next sequence on, so a crash at any
 * point neither loses an observation nor counts one twice.
 */
@Injectable()
export class ObservationsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ObservationsConsumer.name);
  private loop: ConsumeLoop | undefined;
  private js: JetStreamClient | undefined;
  private unacked: JsMsg[] = [];
  private deadLetters: Promise<unknown>[] = [];
  /** Highest stream sequence already in the engine; redeliveries at or below it are skipped. */
  private seenUpTo = 0;
  private timers: NodeJS.Timeout[] = [];
  private recovering: Promise<void> | undefined;
  private committing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(OBSERVATIONS_CONSUMER_OPTIONS) private readonly options: ObservationsConsumerOptions,
    private readonly nats: NatsClient,
    private readonly engine: EvaluationEngine,
    private readonly repository: EvaluationStateRepository,
    private readonly actions: ActionExecutor,
    private readonly aliases: AliasRefresher,
    private readonly metrics: ObservationsMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const jsm = await jetstreamManager(this.nats.nc);
    // The operator's provisioning step creates both streams; the retrainer only checks them.
    await requireStreams(jsm, OBSERVATIONS_STREAM, DEAD_LETTER_STREAM);
    this.js = jetstream(this.nats.nc);
    await this.start();
    this.timers.push(
      setInterval(() => void this.flushSoon(), this.options.flushMs),
      setInterval(() => {
        if (this.recovering) return;
        if (this.engine.sweep(Date.now()).length > 0) void this.flushSoon();
      }, this.options.sweepMs),
    );
    this.actions.start();
    this.aliases.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.loop?.stop();
    await this.flush().catch((error: Error) =>
      this.logger.warn({ err: error.message }, 'last commit failed'),
    );
  }

  /** Commits what is processed and acknowledges it; one commit at a time. */
  flush(): Promise<void> {
    return this.engine.exclusive(async () => {
      const batch = this.engine.cut();
      const messages = this.unacked;
      const deadLetters = this.deadLetters;
      this.unacked = [];
      this.deadLetters = [];
      await Promise.all(deadLetters);
      if (batch) {
        const started = performance.now();
        await this.repository.commit(this.options.consumer, batch);
        this.metrics.commitSeconds.observe((performance.now() - started) / 1000);
      }
      const now = Date.now();
      for (const message of messages) {
        message.ack();
        this.metrics.evaluationDelay.observe(
          (now - Number(message.timestampNanos / 1_000_000n)) / 1000,
        );
      }
      this.metrics.messages.inc(messages.length);
      if (batch && batch.actions.length > 0) this.actions.kick();
    });
  }

  private flushSoon(): Promise<void> {
    if (this.recovering || (this.unacked.length === 0 && !this.engine.hasChanges))
      return Promise.resolve();
    // Not awaited: recovery stops the consume loop, which may be waiting on this very call.
    return this.flush().catch((error: Error) => {
      void this.recover(error);
    });
  }

  /** Loads the committed state and delivers from the message after it. */
  private async start(): Promise<void> {
    const snapshot = await this.repository.load(this.options.consumer);
    this.engine.restore(snapshot);
    this.seenUpTo = snapshot.position;
    this.unacked = [];
    this.deadLetters = [];
    const jsm = await jetstreamManager(this.nats.nc);
    await jsm.consumers.delete(OBSERVATIONS_STREAM, this.options.consumer).catch((error: Error) => {
      if (!/not found/i.test(error.message)) throw error;
    });
    await jsm.consumers.add(OBSERVATIONS_STREAM, {
      durable_name: this.options.consumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ACK_WAIT_MS),
      max_ack_pending: Math.max(1_000, this.options.batchMessages * 4),
      // A fresh store has watched nothing yet: it starts with what arrives from now on.
      ...(snapshot.position > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: snapshot.position + 1 }
        : { deliver_policy: DeliverPolicy.New }),
    });
    const consumer = await jetstream(this.nats.nc).consumers.get(
      OBSERVATIONS_STREAM,
      this.options.consumer,
    );
    this.loop = consumeUntilStopped(
      consumer,
      {
        maxMessages: this.options.batchMessages,
        retryDelayMs: 1_000,
        logger: this.logger,
        what: 'observations consumer',
      },
      (message) => this.handle(message),
    );
    this.logger.log(
      `observations consumer ${this.options.consumer} starts after stream sequence ${snapshot.position}`,
    );
  }

  private recover(error: Error): Promise<void> {
    if (this.recovering || this.stopped) return this.recovering ?? Promise.resolve();
    this.logger.error({ err: error.message }, 'commit failed; reloading the committed state');
    this.recovering = (async () => {
      await this.loop?.stop().catch(() => undefined);
      while (!this.stopped) {
        try {
          await this.start();
          break;
        } catch (retryError) {
          this.logger.warn({ err: (retryError as Error).message }, 'recovery failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, RECOVERY_RETRY_MS));
        }
      }
    })().finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  private async handle(message: JsMsg): Promise<void> {
    if (this.recovering) return;
    const seq = message.seq;
    if (seq <= this.seenUpTo) {
      // Redelivered after it was processed (a slow commit): its effects are in hand already.
      this.unacked.push(message);
      return;
    }
    this.seenUpTo = seq;
    this.process(message);
    this.engine.advance(seq);
    this.unacked.push(message);
    if (this.unacked.length < this.options.batchMessages) return;
    // Evaluation goes on while the previous batch commits; it waits only when a second
    // batch is full, which bounds what a crash can make JetStream redeliver.
    if (!this.committing) {
      this.committing = this.flushSoon().finally(() => {
        this.committing = undefined;
      });
    } else if (this.unacked.length >= 2 * this.options.batchMessages) {
      await this.committing;
    }
  }

  private process(message: JsMsg): void {
    const [prefix, tenant, modelToken, ...rest] = message.subject.split('.');
    const kind: ObservationKind | undefined =
      prefix === 'predictions' ? 'prediction' : prefix === 'actuals' ? 'actual' : undefined;
    if (!kind || !tenant || !modelToken || rest.length > 0 || !isSubjectToken(tenant)) {
      this.logger.warn(
        { subject: message.subject },
        'observation on an unexpected subject; skipped',
      );
      return;
    }
    let model: string;
    try {
      model = decodeSubjectToken(modelToken);
    } catch {
      return this.deadLetter(
        message,
        tenant,
        modelToken,
        'the model token of the subject is not valid %-encoding',
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(decoder.decode(message.data));
    } catch {
      return this.deadLetter(message, tenant, model, 'the body is not JSON');
    }
    const parsed = parseObservationMessage(body);
    if (!parsed.success) {
      const reason = parsed.error.issues
        .slice(0, 10)
        .map((issue) => `/${issue.path.join('/')}: ${issue.message}`)
        .join('; ');
      return this.deadLetter(message, tenant, model, reason);
    }
    const observations = parsed.data;
    const at = Number(message.timestampNanos / 1_000_000n);
    const otherVersions = this.engine.ingest(kind, tenant, model, observations, at);
    for (const monitorId of otherVersions) this.aliases.refreshSoon(monitorId);
  }

  /** Keeps a refused message, with its reason, on deadletter.observations.<tenant>. */
  private deadLetter(message: JsMsg, tenant: string, model: string, reason: string): void {
    this.engine.countInvalid(tenant, model, 1);
    const headers = natsHeaders();
    headers.set(OBSERVATION_DEAD_LETTER_REASON_HEADER, reason.slice(0, 1024));
    headers.set('Iotwins-Original-Subject', message.subject);
    this.deadLetters.push(
      this.js!.publish(observationsDeadLetterSubject(tenant), message.data, {
        headers,
        // The same refused message dead-lettered again after a restart is stored once.
        msgID: `observations-${message.seq}`,
      }),
    );
  }
}
