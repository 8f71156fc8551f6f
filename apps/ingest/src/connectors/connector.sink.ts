import { setTimeout as sleep } from 'node:timers/promises';
import { nanos, type MsgHdrs } from '@nats-io/nats-core';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type Consumer,
  type JsMsg,
} from '@nats-io/jetstream';
import { z } from 'zod';
import { EVENTS_STREAM, TELEMETRY_STREAM, type NatsClient } from '@iotwins/messaging';
import type { ConnectorContext } from './connector.driver';

/** What a sink reads: its tenant's telemetry or events, narrowed by a subject filter. */
export const sinkSourceSchema = z
  .object({
    stream: z.enum(['telemetry', 'events']).default('telemetry'),
    /**
     * Subject tokens below the tenant: a measurement (`power`), an event family
     * (`model-registry.>`) or everything (`>`, the default).
     */
    filter: z
      .string()
      .regex(/^([A-Za-z0-9_-]+|\*)(\.([A-Za-z0-9_-]+|\*))*(\.>)?$|^>$/, {
        message: 'expected NATS subject tokens below the tenant, e.g. "power", "*" or ">"',
      })
      .max(256)
      .default('>'),
    /** From now on (`new`, the default) or from everything the stream still holds (`all`). */
    from: z.enum(['new', 'all']).default('new'),
    /** Messages handed to the sink in one delivery. */
    batchSize: z.number().int().min(1).max(10_000).default(100),
    /** Deliveries of a message before it is dead-lettered (counted in the status). */
    maxDeliveries: z.number().int().min(1).max(100).default(8),
    /** First retry delay; each further retry doubles it, up to 5 minutes. */
    retryDelaySeconds: z.number().min(0.1).max(300).default(1),
  })
  .strict();
export type SinkSource = z.infer<typeof sinkSourceSchema>;

/** `config.source` of a sink: every field at its default when left out. */
export const sinkSourceField = sinkSourceSchema.default(sinkSourceSchema.parse({}));

export interface SinkMessage {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs | undefined;
  /** Stream sequence: stable across redeliveries, a receiver's idempotency key. */
  seq: number;
  deliveryCount: number;
  /** Tells JetStream the message is still being worked on (a long delivery, e.g. a big file). */
  working(): void;
}

export interface RunSinkOptions {
  /** How long a delivered message may stay unacknowledged (default 120 s). */
  ackWaitMs?: number;
  /** Messages delivered and not yet acknowledged at most (default 4 batches). */
  maxAckPending?: number;
  /**
   * Where a new durable starts when `from` is `new`: this time (the connector's declaration)
   * instead of the moment the consumer is made, so nothing published in between is missed.
   */
  startTime?: string;
}

const STREAMS = { telemetry: TELEMETRY_STREAM, events: EVENTS_STREAM } as const;
const MAX_RETRY_MS = 300_000;

/** The durable of a sink connector: one per connector, named after it. */
export const sinkConsumerName = (id: string): string => `connector-${id}`;

/**
 * The sink's durable consumer, made on its first run (filtered to the connector's tenant) and
 * kept afterwards with its position; for drivers that pull and acknowledge themselves (e.g.
 * holding a time window of messages until a file is written), `runSink` for all others.
 */
export async function openSinkConsumer(
  ctx: ConnectorContext<{ source: SinkSource }>,
  options: RunSinkOptions = {},
): Promise<Consumer> {
  const { source } = ctx.config;
  const stream = STREAMS[source.stream];
  const durable = sinkConsumerName(ctx.id);
  const filter = `${source.stream}.${ctx.tenant}.${source.filter}`;
  const jsm = await jetstreamManager(ctx.nats.nc);
  const limits = {
    ack_wait: nanos(options.ackWaitMs ?? 120_000),
    max_ack_pending: options.maxAckPending ?? source.batchSize * 4,
  };
  await jsm.consumers
    .add(stream, {
      durable_name: durable,
      filter_subject: filter,
      ack_policy: AckPolicy.Explicit,
      max_deliver: -1,
      ...limits,
      ...(source.from === 'all'
        ? { deliver_policy: DeliverPolicy.All }
        : options.startTime
          ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: options.startTime }
          : { deliver_policy: DeliverPolicy.New }),
    })
    .catch(async (error: unknown) => {
      // Exists (an earlier run): keep its position, follow a changed filter.
      if (!/already in use|exists/i.test((error as Error).message)) throw error;
      await jsm.consumers.update(stream, durable, { filter_subject: filter, ...limits });
    });
  return jetstream(ctx.nats.nc).consumers.get(stream, durable);
}

/**
 * Runs a sink: a durable JetStream consumer of the tenant's subjects, handing batches to
 * `deliver` until the run is aborted. A batch is acknowledged only after `deliver` resolved
 * (at least once); a failed batch is retried with a doubling delay, and a message that failed
 * `maxDeliveries` times is dead-lettered (terminated, counted, its reason in the status), so
 * one bad message never blocks the rest. Each sink has its own consumer and loop: a slow
 * target holds up only its own connector.
 */
export async function runSink(
  ctx: ConnectorContext<{ source: SinkSource }>,
  deliver: (messages: SinkMessage[]) => Promise<void>,
  options: RunSinkOptions = {},
): Promise<void> {
  const { source } = ctx.config;
  const filter = `${source.stream}.${ctx.tenant}.${source.filter}`;
  while (!ctx.signal.aborted) {
    try {
      const consumer = await openSinkConsumer(ctx, options);
      while (!ctx.signal.aborted && ctx.isLeader()) {
        const batch: JsMsg[] = [];
        const fetched = await consumer.fetch({ max_messages: source.batchSize, expires: 1_000 });
        for await (const message of fetched) batch.push(message);
        if (batch.length === 0) continue;
        await deliverBatch(ctx, batch, deliver);
      }
      return;
    } catch (error) {
      if (ctx.signal.aborted) return;
      ctx.failed(`consuming ${filter} failed: ${(error as Error).message}`);
      await sleep(1_000, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
  }
}

async function deliverBatch(
  ctx: ConnectorContext<{ source: SinkSource }>,
  batch: JsMsg[],
  deliver: (messages: SinkMessage[]) => Promise<void>,
): Promise<void> {
  const { source } = ctx.config;
  try {
    await deliver(
      batch.map((message) => ({
        subject: message.subject,
        data: message.data,
        headers: message.headers,
        seq: message.seq,
        deliveryCount: message.info.deliveryCount,
        working: () => message.working(),
      })),
    );
    for (const message of batch) message.ack();
    ctx.count({ recordsRead: batch.length });
    ctx.succeeded();
  } catch (error) {
    const reason = (error as Error).message;
    ctx.failed(reason);
    for (const message of batch) {
      const attempt = message.info.deliveryCount;
      if (attempt >= source.maxDeliveries) {
        message.term(reason);
        ctx.deadLettered(
          `${message.subject} #${message.seq}`,
          `${attempt} deliveries failed: ${reason}`,
        );
      } else {
        message.nak(Math.min(source.retryDelaySeconds * 1000 * 2 ** (attempt - 1), MAX_RETRY_MS));
      }
    }
  }
}

/** Deletes a sink's durable when its connector is deleted. */
export async function removeSinkConsumer(
  nats: NatsClient,
  id: string,
  source: SinkSource,
): Promise<void> {
  const jsm = await jetstreamManager(nats.nc);
  await jsm.consumers
    .delete(STREAMS[source.stream], sinkConsumerName(id))
    .catch((error: unknown) => {
      if (!/not found/i.test((error as Error).message)) throw error;
    });
}
