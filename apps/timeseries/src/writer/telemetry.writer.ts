import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import {
  jetstream,
  jetstreamManager,
  type Consumer,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import { APP_CONFIG } from '@iotwins/config';
import {
  NatsClient,
  TELEMETRY_STREAM,
  DEAD_LETTER_STREAM,
  TIMESERIES_WRITER_CONSUMER,
  TIMESERIES_WRITER_ACK_WAIT_MS,
  TelemetryHeader,
  deadLetterCopyOf,
  consumeUntilStopped,
  isTransientPublishError,
  requireStreams,
  telemetryDeadLetterSubject,
} from '@iotwins/messaging';
import type { TimeseriesConfig } from '../app.config';
import { InfluxClient } from '../influx/influx.client';
import { TenantDatabases } from '../tenants/tenant-databases';
import { FailureCounts } from './failure-counts';
import { InfluxOutage } from './influx-outage';
import { WriterMetrics } from './writer.metrics';
import { classifyWrite, redeliveryDelayMs, type WriteOutcome } from './write-outcome';
import { takeBatch } from './write-batch';
import { tenantOf } from './message-tenant';

/** Largest single write to InfluxDB; its own default limit is 25 MB. */
const MAX_WRITE_BYTES = 8 * 1024 * 1024;
/** How long a message that finds a write slot free waits for others to join it. */
const LINGER_MS = 5;

/**
 * Drains the TELEMETRY stream into InfluxDB. Several loops (and several replicas of the app)
 * pull from one durable consumer; a message is acknowledged only after InfluxDB accepted its
 * points, so a crash anywhere means redelivery, never loss. Writes are idempotent in InfluxDB
 * (same series, time and field overwrite), so redelivery never doubles data.
 */
@Injectable()
export class TelemetryWriter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TelemetryWriter.name);
  private js!: JetStreamClient;
  private stopConsuming: (() => Promise<void>) | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  /** Every message this process holds and has not settled yet (waiting or being written). */
  private readonly held = new Set<JsMsg>();
  private readonly failures = new FailureCounts();
  private running = true;

  constructor(
    private readonly nats: NatsClient,
    private readonly influx: InfluxClient,
    private readonly databases: TenantDatabases,
    private readonly metrics: WriterMetrics,
    private readonly outage: InfluxOutage,
    @Inject(APP_CONFIG) private readonly config: TimeseriesConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const jsm = await jetstreamManager(this.nats.nc);
    // The operator's provisioning step made the streams and the durable; this login may not.
    await requireStreams(jsm, TELEMETRY_STREAM, DEAD_LETTER_STREAM);
    this.js = jetstream(this.nats.nc);
    if (!this.config.TIMESERIES_WRITER_ENABLED) return;
    const consumer = await this.js.consumers.get(TELEMETRY_STREAM, TIMESERIES_WRITER_CONSUMER);
    this.stopConsuming = this.consume(consumer);
    this.lagTimer = setInterval(() => void this.recordLag(consumer), 5_000);
    // Held messages (waiting for a slot, being written, waiting out an outage) tell JetStream
    // they are in work, so the short ack wait redelivers only what this process lost.
    this.keepAliveTimer = setInterval(() => {
      for (const message of this.held) message.working();
    }, TIMESERIES_WRITER_ACK_WAIT_MS / 3);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.lagTimer);
    this.running = false;
    this.outage.stop();
    // Let in-flight batches finish and ack; anything unacked is redelivered to another writer.
    await this.stopConsuming?.();
    clearInterval(this.keepAliveTimer);
  }

  /**
   * Pulls continuously and writes in batches, at most TIMESERIES_WRITER_CONCURRENCY writes in
   * flight. A message that finds a write slot free is written LINGER_MS later with whatever
   * came with it, so a trickle of data is queryable within milliseconds; messages that find
   * every slot busy wait and go out together in the next free slot, so a flood is written in
   * large batches. When a full batch is waiting and no slot is free, the pull waits.
   */
  private consume(consumer: Consumer): () => Promise<void> {
    const inflight = new Set<Promise<void>>();
    const { TIMESERIES_WRITER_CONCURRENCY: slots, TIMESERIES_WRITER_BATCH_MESSAGES: maxMessages } =
      this.config;
    let waiting: JsMsg[] = [];
    let bytes = 0;
    let timer: NodeJS.Timeout | undefined;
    const full = (): boolean => waiting.length >= maxMessages || bytes >= MAX_WRITE_BYTES;
    const flush = (): void => {
      clearTimeout(timer);
      timer = undefined;
      while (inflight.size < slots && waiting.length > 0) {
        const batch = takeBatch(waiting, maxMessages, MAX_WRITE_BYTES);
        bytes -= batch.reduce((sum, message) => sum + message.data.length, 0);
        const write: Promise<void> = this.handle(batch)
          .catch((error: unknown) => {
            this.logger.error({ err: error }, 'telemetry batch not settled');
            // Handed back for redelivery rather than kept alive here forever.
            this.release(batch.filter((message) => this.held.has(message)));
          })
          .finally(() => {
            inflight.delete(write);
            flush();
          });
        inflight.add(write);
      }
    };
    const loop = consumeUntilStopped(
      consumer,
      {
        maxMessages: maxMessages * 2,
        maxBytes: MAX_WRITE_BYTES * 2,
        retryDelayMs: 1_000,
        logger: this.logger,
        what: 'telemetry consumer',
      },
      async (message) => {
        waiting.push(message);
        this.held.add(message);
        bytes += message.data.length;
        if (inflight.size < slots && timer === undefined) timer = setTimeout(flush, LINGER_MS);
        while (full()) {
          flush();
          if (full()) await Promise.race(inflight);
        }
      },
    );
    return async () => {
      await loop.stop();
      while (waiting.length > 0 || inflight.size > 0) {
        flush();
        await Promise.allSettled(inflight);
      }
      waiting = [];
    };
  }

  private async handle(messages: JsMsg[]): Promise<void> {
    const byTenant = new Map<string, JsMsg[]>();
    for (const message of messages) {
      const tenant = tenantOf(message);
      if (typeof tenant !== 'string') {
        await this.deadLetter(tenant.deadLetterAs, message, tenant.reason);
        continue;
      }
      let group = byTenant.get(tenant);
      if (!group) byTenant.set(tenant, (group = []));
      group.push(message);
    }
    await Promise.all([...byTenant].map(([tenant, group]) => this.writeTenant(tenant, group)));
  }

  private async writeTenant(tenant: string, messages: JsMsg[]): Promise<void> {
    // takeBatch keeps a batch, and so each tenant's share of it, within MAX_WRITE_BYTES.
    let outcome = await this.write(tenant, messages);
    // An outage is waited out with the batch in hand and the batch retried as a whole; it is
    // never counted against the batch's failures.
    while (outcome.kind === 'transient' && !(await this.outage.answers())) {
      await this.outage.waitUntilBack(outcome.reason);
      if (!this.running) return this.release(messages);
      outcome = await this.write(tenant, messages);
    }
    if (outcome.kind === 'written') {
      for (const message of messages) this.done(message);
    } else if (outcome.kind !== 'missing-database' && messages.length > 1) {
      // Find the failing message(s) by halving the batch until each failing one is alone;
      // the others are written on the way, in few writes.
      const half = Math.ceil(messages.length / 2);
      await this.writeTenant(tenant, messages.slice(0, half));
      await this.writeTenant(tenant, messages.slice(half));
    } else {
      for (const message of messages) await this.settle(tenant, message, outcome);
    }
  }

  private async write(tenant: string, messages: JsMsg[]): Promise<WriteOutcome> {
    // The bodies are line protocol already; they go out as bytes, never decoded or joined.
    const body = messages.map((message) => message.data);
    const points = messages.reduce(
      (sum, message) => sum + Number(message.headers?.get(TelemetryHeader.Points) ?? 0),
      0,
    );
    const started = performance.now();
    try {
      const database = await this.databases.ensure(tenant);
      let result = classifyWrite(...(await this.send(database, body)));
      if (result.kind === 'missing-database') {
        this.databases.forget(tenant);
        result = classifyWrite(...(await this.send(await this.databases.ensure(tenant), body)));
      }
      if (result.kind === 'written')
        this.metrics.recordWrite(points, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      return { kind: 'transient', reason: (error as Error).message };
    }
  }

  private async send(
    database: string,
    body: readonly Uint8Array[],
  ): Promise<[number, string | undefined]> {
    const { status, error } = await this.influx.write(database, body);
    return [status, error];
  }

  private async settle(tenant: string, message: JsMsg, outcome: WriteOutcome): Promise<void> {
    switch (outcome.kind) {
      case 'written':
        this.done(message);
        return;
      case 'rejected':
        await this.deadLetter(tenant, message, outcome.reason);
        return;
      case 'missing-database':
      case 'transient': {
        // InfluxDB answers, yet this message failed: it counts towards its delivery limit.
        const reason = outcome.kind === 'transient' ? outcome.reason : 'database missing';
        const failures = this.failures.record(message.seq);
        if (failures >= this.config.TIMESERIES_WRITER_MAX_FAILURES) {
          await this.deadLetter(
            tenant,
            message,
            `failed ${failures} times while InfluxDB answered; last error: ${reason}`,
          );
          return;
        }
        this.logger.warn(
          { tenant, reason, seq: message.seq, failures },
          'write failed; will retry',
        );
        this.settled(message).nak(redeliveryDelayMs(failures));
        return;
      }
    }
  }

  /** Hands messages back to JetStream for redelivery, without counting a failure. */
  private release(messages: JsMsg[]): void {
    for (const message of messages) this.settled(message).nak();
  }

  /** Forgets a message this process no longer holds, for the caller to ack or nak. */
  private settled(message: JsMsg): JsMsg {
    this.held.delete(message);
    return message;
  }

  /** Acknowledges a message whose points InfluxDB holds. */
  private done(message: JsMsg): void {
    this.failures.forget(message.seq);
    this.settled(message).ack();
  }

  /**
   * Keeps a message InfluxDB will not take on deadletter.telemetry.<tenant>: whole, with its
   * original headers, when that fits in one NATS message (so it can be replayed), truncated
   * and marked otherwise (a message near the payload limit plus the dead-letter headers would
   * not fit; the API then refuses to replay it). A NATS outage hands the message back with
   * back-off; any other failure to store the copy terminates the message, logged and counted:
   * it can only fail the same way at every retry.
   */
  private async deadLetter(tenant: string, message: JsMsg, reason: string): Promise<void> {
    const copy = deadLetterCopyOf(message, reason, this.nats.nc);
    try {
      await this.js.publish(telemetryDeadLetterSubject(tenant), copy.data, {
        headers: copy.headers,
        msgID: `dl/${message.info.stream}/${message.seq}`,
      });
    } catch (error) {
      const err = error as Error;
      if (isTransientPublishError(err)) {
        // Keep the message rather than lose it while the dead letter cannot be stored.
        this.logger.error({ tenant, err: err.message }, 'dead letter not stored; message kept');
        this.settled(message).nak(redeliveryDelayMs(message.info.deliveryCount));
        return;
      }
      this.logger.error(
        { tenant, seq: message.seq, err: err.message },
        'dead letter refused by NATS; message terminated',
      );
      this.metrics.deadLettersLost.inc({ tenant });
      this.failures.forget(message.seq);
      this.settled(message).term(`dead letter refused: ${err.message.slice(0, 200)}`);
      return;
    }
    if (copy.truncated) this.metrics.deadLettersTruncated.inc({ tenant });
    this.metrics.deadLetters.inc({ tenant });
    this.logger.warn({ tenant, reason, seq: message.seq }, 'telemetry batch dead-lettered');
    // Terminated with the reason: the dead letter holds the data now, and the consumer's
    // advisory says why it was never written (nats-server 2.9, which redelivered such
    // messages, is no longer used).
    this.failures.forget(message.seq);
    this.settled(message).term(`dead-lettered: ${reason.slice(0, 200)}`);
  }

  private async recordLag(consumer: Consumer): Promise<void> {
    try {
      // Fresh from the server: info(true) would return what the consumer knew at start.
      const info = await consumer.info();
      this.metrics.consumerLag.set(info.num_pending + info.num_ack_pending);
    } catch {
      // Lag is reported when NATS answers again; readiness reports the outage.
    }
  }
}
