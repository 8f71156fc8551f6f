import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { nanos } from '@nats-io/nats-core';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import { nameUnsafeTextReason, storeUnsafeStrings } from '@iotwins/http';
import {
  NatsClient,
  OBSERVATIONS_STREAM,
  deadLetterCopyOf,
  consumeUntilStopped,
  isTransientPublishError,
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
import { isRowDataError } from './failure-kinds';

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
  /**
   * Set when PostgreSQL refused a commit for the contents of a row: messages up to this
   * sequence are then committed one by one, so the one whose effects are refused is found,
   * dead-lettered and skipped while every other message (of every tenant) is committed.
   */
  private isolateUpTo: number | undefined;

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
        this.engine.committed(batch);
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
    // While isolating, each message is committed by its own handler call, and only there.
    if (this.recovering || this.isolateUpTo !== undefined) return Promise.resolve();
    if (this.unacked.length === 0 && !this.engine.hasChanges) return Promise.resolve();
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
    if (isRowDataError(error)) {
      // What was processed since the last commit is redone one message per commit.
      this.isolateUpTo = Math.max(this.isolateUpTo ?? 0, this.seenUpTo);
      this.metrics.isolations.inc();
    }
    this.logger.error(
      { err: error.message, isolateUpTo: this.isolateUpTo },
      'commit failed; reloading the committed state',
    );
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

  /**
   * Never throws: the consume loop would hand the message back, while its effects may be in
   * the engine already. Anything unexpected reloads the committed state instead, after which
   * JetStream delivers again from the committed position.
   */
  private async handle(message: JsMsg): Promise<void> {
    try {
      await this.handleOne(message);
    } catch (error) {
      void this.recover(error as Error);
    }
  }

  private async handleOne(message: JsMsg): Promise<void> {
    if (this.recovering) return;
    const seq = message.seq;
    if (seq <= this.seenUpTo) {
      // Redelivered after it was processed (a slow commit): its effects are in hand already.
      this.unacked.push(message);
      return;
    }
    this.seenUpTo = seq;
    this.processSafely(message);
    this.engine.advance(seq);
    this.unacked.push(message);
    if (this.isolateUpTo !== undefined) return this.commitAlone(message);
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

  /** Commits one message by itself while isolating; a refused one is dead-lettered, skipped. */
  private async commitAlone(message: JsMsg): Promise<void> {
    try {
      await this.flush();
    } catch (error) {
      if (!isRowDataError(error as Error)) {
        void this.recover(error as Error);
        return;
      }
      try {
        await this.skipRefused(message, error as Error);
      } catch (skipError) {
        // PostgreSQL or NATS went away meanwhile: reloaded and tried again, still isolating.
        void this.recover(skipError as Error);
        return;
      }
    }
    if (this.isolateUpTo !== undefined && message.seq >= this.isolateUpTo) {
      this.logger.log(`isolation done at stream sequence ${message.seq}`);
      this.isolateUpTo = undefined;
    }
  }

  /**
   * PostgreSQL refused what this one message did: it is dead-lettered, the position moves
   * past it alone, and the engine reloads the committed state (without its effects).
   */
  private async skipRefused(message: JsMsg, error: Error): Promise<void> {
    this.logger.error(
      { seq: message.seq, subject: message.subject, err: error.message },
      'PostgreSQL refused the effects of one observation message; dead-lettered and skipped',
    );
    await this.engine.exclusive(async () => {
      await this.publishDeadLetter(
        message,
        tenantOfSubject(message.subject) ?? 'unknown',
        `PostgreSQL refused its effects: ${error.message}`,
      ).catch((deadLetterError: Error) => {
        if (isTransientPublishError(deadLetterError)) throw deadLetterError;
      });
      await this.repository.commitPosition(this.options.consumer, message.seq);
      const snapshot = await this.repository.load(this.options.consumer);
      this.engine.restore(snapshot);
      this.seenUpTo = snapshot.position;
      this.unacked = [];
      this.deadLetters = [];
    });
    message.term('its effects were refused by PostgreSQL; dead-lettered');
  }

  /** `process`, with any error it throws turned into a dead letter of that message. */
  private processSafely(message: JsMsg): void {
    try {
      this.process(message);
    } catch (error) {
      this.deadLetter(
        message,
        tenantOfSubject(message.subject) ?? 'unknown',
        undefined,
        `processing failed: ${(error as Error).message}`,
      );
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
        undefined,
        'the model token of the subject is not valid %-encoding',
      );
    }
    // Checked here, at the edge: text PostgreSQL refuses would fail the commit of a batch
    // that holds every tenant's observations.
    const unsafeModel = nameUnsafeTextReason(model);
    if (unsafeModel)
      return this.deadLetter(message, tenant, undefined, `the model name ${unsafeModel}`);
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
    const unsafe = storeUnsafeStrings(parsed.data, [], [], 10);
    if (unsafe.length > 0) {
      const reason = unsafe.map((u) => `/${u.path.map(String).join('/')}: ${u.reason}`);
      return this.deadLetter(message, tenant, model, reason.join('; '));
    }
    const observations = parsed.data;
    const at = Number(message.timestampNanos / 1_000_000n);
    const result = this.engine.ingest(kind, tenant, model, observations, at);
    if (result.duplicatePredictions > 0)
      this.metrics.duplicates.inc({ kind: 'prediction' }, result.duplicatePredictions);
    if (result.duplicateActuals > 0)
      this.metrics.duplicates.inc({ kind: 'actual' }, result.duplicateActuals);
    for (const monitorId of result.otherVersions) this.aliases.refreshSoon(monitorId);
  }

  /**
   * Keeps a refused message, with its reason, on deadletter.observations.<tenant>, and counts
   * it as invalid for its model (unless the model name itself is what was refused). The
   * commit of its batch waits for the dead letter; a NATS outage fails that commit (the
   * batch is redone after the reload, i.e. retried with back-off), any other error while
   * dead-lettering is logged and the message is settled with its batch: never a crash.
   */
  private deadLetter(
    message: JsMsg,
    tenant: string,
    model: string | undefined,
    reason: string,
  ): void {
    if (model !== undefined) this.engine.countInvalid(tenant, model, 1);
    this.metrics.deadLetters.inc();
    this.deadLetters.push(
      this.publishDeadLetter(message, tenant, reason).catch((error: Error) => {
        if (isTransientPublishError(error)) throw error;
        this.logger.error(
          { seq: message.seq, subject: message.subject, err: error.message },
          'dead letter not stored; the message is dropped',
        );
        this.metrics.deadLettersLost.inc();
      }),
    );
  }

  /** A bounded copy: it fits in one NATS message however large the original was. */
  private async publishDeadLetter(message: JsMsg, tenant: string, reason: string): Promise<void> {
    const copy = deadLetterCopyOf(message, reason, this.nats.nc);
    await this.js!.publish(observationsDeadLetterSubject(tenant), copy.data, {
      headers: copy.headers,
      // The same refused message dead-lettered again after a restart is stored once.
      msgID: `observations-${message.seq}`,
    });
  }
}

/** The tenant token of an observation subject, when it is one. */
function tenantOfSubject(subject: string): string | undefined {
  const tenant = subject.split('.')[1];
  return tenant !== undefined && isSubjectToken(tenant) ? tenant : undefined;
}
