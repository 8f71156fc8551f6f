import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { headers as natsHeaders } from '@nats-io/nats-core';
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
  TIMESERIES_WRITER_CONSUMER,
  TelemetryHeader,
  consumeUntilStopped,
  ensureDeadLetterStream,
  ensureTelemetryStream,
  telemetryDeadLetterSubject,
  telemetryStreamOptions,
} from '@iotwins/messaging';
import type { TimeseriesConfig } from '../app.config';
import { InfluxClient } from '../influx/influx.client';
import { TenantDatabases } from '../tenants/tenant-databases';
import { WriterMetrics } from './writer.metrics';
import { classifyWrite, redeliveryDelayMs, type WriteOutcome } from './write-outcome';

/** Largest single write to InfluxDB; its own default limit is 25 MB. */
const MAX_WRITE_BYTES = 8 * 1024 * 1024;
/** How long a batch waits for more messages before it is written. */
const LINGER_MS = 20;
const NEWLINE = new Uint8Array([10]);

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

  constructor(
    private readonly nats: NatsClient,
    private readonly influx: InfluxClient,
    private readonly databases: TenantDatabases,
    private readonly metrics: WriterMetrics,
    @Inject(APP_CONFIG) private readonly config: TimeseriesConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const jsm = await jetstreamManager(this.nats.nc);
    await ensureTelemetryStream(jsm, telemetryStreamOptions(this.config));
    await ensureDeadLetterStream(jsm);
    this.js = jetstream(this.nats.nc);
    if (!this.config.TIMESERIES_WRITER_ENABLED) return;
    const consumer = await this.js.consumers.get(TELEMETRY_STREAM, TIMESERIES_WRITER_CONSUMER);
    this.stopConsuming = this.consume(consumer);
    this.lagTimer = setInterval(() => void this.recordLag(consumer), 5_000);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.lagTimer);
    // Let in-flight batches finish and ack; anything unacked is redelivered to another writer.
    await this.stopConsuming?.();
  }

  /**
   * Pulls continuously and writes in batches: a batch goes to InfluxDB when it is full or
   * LINGER_MS after its first message, whichever comes first, so a trickle of data is
   * queryable within milliseconds and a flood is written in large batches. At most
   * TIMESERIES_WRITER_CONCURRENCY writes are in flight; the pull waits while they are.
   */
  private consume(consumer: Consumer): () => Promise<void> {
    const inflight = new Set<Promise<void>>();
    let batch: JsMsg[] = [];
    let bytes = 0;
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      clearTimeout(timer);
      timer = undefined;
      if (batch.length === 0) return;
      const messages = batch;
      batch = [];
      bytes = 0;
      const write = this.handle(messages)
        .catch((error: unknown) => this.logger.error({ err: error }, 'telemetry batch not settled'))
        .finally(() => inflight.delete(write));
      inflight.add(write);
    };
    const loop = consumeUntilStopped(
      consumer,
      {
        maxMessages: this.config.TIMESERIES_WRITER_BATCH_MESSAGES * 2,
        retryDelayMs: 1_000,
        logger: this.logger,
        what: 'telemetry consumer',
      },
      async (message) => {
        batch.push(message);
        bytes += message.data.length;
        if (
          batch.length >= this.config.TIMESERIES_WRITER_BATCH_MESSAGES ||
          bytes >= MAX_WRITE_BYTES
        ) {
          flush();
          while (inflight.size >= this.config.TIMESERIES_WRITER_CONCURRENCY)
            await Promise.race(inflight);
        } else if (timer === undefined) {
          timer = setTimeout(flush, LINGER_MS);
        }
      },
    );
    return async () => {
      await loop.stop();
      flush();
      await Promise.allSettled(inflight);
    };
  }

  private async handle(messages: JsMsg[]): Promise<void> {
    const byTenant = new Map<string, JsMsg[]>();
    for (const message of messages) {
      const tenant = message.headers?.get(TelemetryHeader.Tenant) ?? '';
      let group = byTenant.get(tenant);
      if (!group) byTenant.set(tenant, (group = []));
      group.push(message);
    }
    await Promise.all([...byTenant].map(([tenant, group]) => this.writeTenant(tenant, group)));
  }

  private async writeTenant(tenant: string, messages: JsMsg[]): Promise<void> {
    if (tenant === '') {
      // Not from ingest: no tenant database to write to. Dead-letter it under "unknown".
      for (const message of messages)
        await this.deadLetter('unknown', message, 'telemetry message without a tenant header');
      return;
    }
    for (const chunk of chunksBySize(messages, MAX_WRITE_BYTES)) {
      const outcome = await this.write(tenant, chunk);
      if (outcome.kind === 'written') {
        for (const message of chunk) message.ack();
      } else if (outcome.kind === 'rejected' && chunk.length > 1) {
        // Find the refused message(s) by writing each alone; the others are kept.
        for (const message of chunk)
          await this.settle(tenant, message, await this.write(tenant, [message]));
      } else {
        for (const message of chunk) await this.settle(tenant, message, outcome);
      }
    }
  }

  private async write(tenant: string, messages: JsMsg[]): Promise<WriteOutcome> {
    // The bodies are line protocol already; they are joined as bytes, never decoded.
    const body = Buffer.concat(
      messages.flatMap((message, i) => (i === 0 ? [message.data] : [NEWLINE, message.data])),
    );
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

  private async send(database: string, body: Uint8Array): Promise<[number, string | undefined]> {
    const { status, error } = await this.influx.write(database, body);
    return [status, error];
  }

  private async settle(tenant: string, message: JsMsg, outcome: WriteOutcome): Promise<void> {
    switch (outcome.kind) {
      case 'written':
        message.ack();
        return;
      case 'rejected':
        await this.deadLetter(tenant, message, outcome.reason);
        return;
      case 'missing-database':
      case 'transient':
        this.logger.warn(
          { tenant, reason: outcome.kind === 'transient' ? outcome.reason : 'database missing' },
          'write failed; will retry',
        );
        message.nak(redeliveryDelayMs(message.info.deliveryCount));
        return;
    }
  }

  private async deadLetter(tenant: string, message: JsMsg, reason: string): Promise<void> {
    const headers = natsHeaders();
    for (const [key, values] of message.headers ?? [])
      for (const value of values) headers.append(key, value);
    headers.set(TelemetryHeader.DeadLetterReason, reason.slice(0, 1024));
    try {
      await this.js.publish(telemetryDeadLetterSubject(tenant), message.data, {
        headers,
        msgID: `dl/${message.info.stream}/${message.seq}`,
      });
    } catch (error) {
      // Keep the message rather than lose it when the dead letter cannot be stored.
      this.logger.error(
        { tenant, err: (error as Error).message },
        'dead letter not stored; message kept',
      );
      message.nak(redeliveryDelayMs(message.info.deliveryCount));
      return;
    }
    this.metrics.deadLetters.inc({ tenant });
    this.logger.warn({ tenant, reason, seq: message.seq }, 'telemetry batch dead-lettered');
    // Acknowledged, not terminated: the dead letter holds the data now, and +TERM with a
    // reason is not understood by every NATS server version (2.9 redelivers it).
    message.ack();
  }

  private async recordLag(consumer: Consumer): Promise<void> {
    try {
      const info = await consumer.info(true);
      this.metrics.consumerLag.set(info.num_pending + info.num_ack_pending);
    } catch {
      // Lag is reported when NATS answers again; readiness reports the outage.
    }
  }
}

/** Groups consecutive messages so that each group's body stays under `maxBytes`. */
export function chunksBySize<T extends { data: Uint8Array }>(
  messages: T[],
  maxBytes: number,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const message of messages) {
    if (current.length > 0 && size + message.data.length > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += message.data.length + 1;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
