import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { ConnectorContext, ConnectorDriver } from '../../connector.driver';
import { amqpSourceConfigSchema, brokerAddress, type AmqpSourceConfig } from './amqp.config';
import { connectGuarded } from './amqp-connect';
import { describeAmqpError } from './amqp-errors';
import { formatProblem, reconnectDelayMs, settle } from './amqp-payload';

type Ctx = ConnectorContext<AmqpSourceConfig>;

/**
 * Consumes a RabbitMQ queue (testbed 2's publisher): each message goes through ingest's
 * payload rules and is acknowledged only once JetStream stored it and the status counting it
 * is saved, so after a kill -9 the counters agree with what was stored: an acknowledged
 * message is never delivered again, so a count lost with the process would stay lost. At most `prefetch`
 * messages are unacknowledged, so a slow platform slows the broker's deliveries, not memory.
 * A message with nothing storable is rejected without requeue (dead-lettered to the queue's
 * DLX if it has one, otherwise dropped by the broker) and counted, so it never loops. A lost
 * connection is retried with a doubling delay; unacknowledged messages go back to the queue.
 */
export const amqpSourceDriver: ConnectorDriver<AmqpSourceConfig> = {
  type: 'amqp-source',
  kind: 'source',
  configSchema: amqpSourceConfigSchema,

  async run(ctx) {
    let attempt = 0;
    while (!ctx.signal.aborted) {
      try {
        // Resolves only once the run is aborted.
        await consumeUntilLost(ctx, () => {
          attempt = 0;
        });
      } catch (error) {
        if (ctx.signal.aborted) break;
        const delay = reconnectDelayMs(attempt);
        attempt += 1;
        ctx.failed(
          `${brokerAddress(ctx.config)} queue ${ctx.config.queue}: ${describeAmqpError(error)}` +
            ` (retrying in ${Math.round(delay / 1000)} s)`,
        );
        await sleep(delay, undefined, { signal: ctx.signal }).catch(() => undefined);
      }
    }
  },
};

/**
 * One connection: declares or checks the queue, consumes until the run is aborted (resolves)
 * or the connection or channel is lost (rejects with the broker's reason).
 */
async function consumeUntilLost(ctx: Ctx, consuming: () => void): Promise<void> {
  const { config } = ctx;
  const connection = await connectGuarded(ctx);
  const inFlight = new Set<Promise<void>>();
  try {
    const lost = new Promise<never>((_, reject) => {
      connection.on('error', reject);
      connection.on('close', (error?: Error) =>
        reject(error ?? new Error('connection closed by the broker')),
      );
    });
    // A rejected `lost` must not go unhandled while setup is still awaited.
    lost.catch(() => undefined);
    const channel = await connection.createChannel();
    const channelLost = new Promise<never>((_, reject) => {
      channel.on('error', reject);
      // A closing connection closes its channels first: give its reason (e.g. the broker's
      // shutdown) a moment to win over this plain one.
      channel.on('close', () =>
        setTimeout(() => reject(new Error('channel closed by the broker')), 100),
      );
    });
    channelLost.catch(() => undefined);
    await Promise.race([prepareQueue(channel, config), lost, channelLost]);
    await channel.prefetch(config.prefetch);
    // The broker cancels the consumer when the queue is deleted under it.
    const cancelled = new Promise<never>((_, reject) =>
      channel.on('cancel', () =>
        reject(new Error(`NOT_FOUND: queue '${config.queue}' was deleted`)),
      ),
    );
    cancelled.catch(() => undefined);
    const { consumerTag } = await channel.consume(
      config.queue,
      (message) => {
        if (!message) return; // cancelled by the broker: `cancelled` rejects
        const work = handle(ctx, channel, message).finally(() => inFlight.delete(work));
        inFlight.add(work);
      },
      { noAck: false },
    );
    consuming();
    ctx.succeeded();
    const aborted = new Promise<void>((done) =>
      ctx.signal.aborted
        ? done()
        : ctx.signal.addEventListener('abort', () => done(), { once: true }),
    );
    await Promise.race([aborted, lost, channelLost, cancelled]);
    // Stop deliveries, let the messages in hand be stored and acknowledged, then let go.
    await channel.cancel(consumerTag).catch(() => undefined);
    await Promise.allSettled([...inFlight]);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function prepareQueue(channel: Channel, config: AmqpSourceConfig): Promise<void> {
  if (!config.declareQueue) {
    await channel.checkQueue(config.queue);
    return;
  }
  await channel.assertQueue(config.queue, {
    durable: true,
    ...(config.deadLetterExchange ? { deadLetterExchange: config.deadLetterExchange } : {}),
  });
  for (const binding of config.bindings)
    await channel.bindQueue(config.queue, binding.exchange, binding.routingKey);
}

/** One message: stored, then acknowledged; refused for good; or put back when storing failed. */
async function handle(ctx: Ctx, channel: Channel, message: ConsumeMessage): Promise<void> {
  const { config } = ctx;
  const what = `message ${message.properties.messageId ?? `#${message.fields.deliveryTag}`} of ${config.queue}`;
  const key = messageKey(message);
  // Delivered again after a crash between the save that counted it and its acknowledgement.
  const counted = message.fields.redelivered && ctx.wasCounted(key);
  const wrongFormat = formatProblem(config.format, message.content);
  if (wrongFormat) {
    await reject(ctx, channel, message, { what, key, counted }, wrongFormat);
    return;
  }
  let outcome;
  try {
    outcome = await ctx.ingest.payload(message.content, { measurement: config.measurement });
  } catch (error) {
    // Not stored (JetStream away, rate limit): back to the queue after a pause, for this
    // connector or another replica to try again.
    ctx.failed(`storing ${what} failed: ${(error as Error).message}`);
    await sleep(1_000).catch(() => undefined);
    safely(() => channel.nack(message, false, true));
    return;
  }
  const settlement = settle(outcome);
  if (settlement.action === 'reject') {
    await reject(ctx, channel, message, { what, key, counted }, settlement.reason);
    return;
  }
  // Only now, with the points in JetStream and their count in KV, does the broker forget the
  // message (saves are shared by the messages in hand: about one per prefetch window).
  await countThenSettle(
    ctx,
    counted,
    () =>
      ctx.count(
        { recordsRead: 1, pointsWritten: outcome.written, recordsRefused: settlement.refused },
        key,
      ),
    () => channel.ack(message),
  );
  if (settlement.reason) ctx.warn(`refused in ${what}: ${settlement.reason}`);
  ctx.succeeded();
}

/**
 * Counts a message (with its key), saves the status, and only then settles it with the
 * broker: an acknowledged message is never delivered again, so a count still in memory at a
 * kill -9 would be lost for good. Killed after the save but before the settlement reached the
 * broker, the message comes again marked redelivered, its key is found among the counted
 * ones, and it is settled without being counted twice. A settlement that fails (the channel
 * closed meanwhile) is the same case.
 */
async function countThenSettle(
  ctx: Ctx,
  alreadyCounted: boolean,
  count: () => void,
  settleMessage: () => void,
): Promise<void> {
  if (!alreadyCounted) {
    count();
    await ctx.saveStatus();
  }
  safely(settleMessage);
}

/** Identifies a message across deliveries: its content (and message id, when it has one). */
function messageKey(message: ConsumeMessage): string {
  const hash = createHash('sha256');
  hash.update(String(message.properties.messageId ?? ''));
  hash.update('\0');
  hash.update(message.content);
  return hash.digest('base64url').slice(0, 22);
}

async function reject(
  ctx: Ctx,
  channel: Channel,
  message: ConsumeMessage,
  { what, key, counted }: { what: string; key: string; counted: boolean },
  reason: string,
): Promise<void> {
  await countThenSettle(
    ctx,
    counted,
    () => {
      ctx.count({ recordsRead: 1, recordsRefused: 1 }, key);
      ctx.deadLettered(
        what,
        ctx.config.deadLetterExchange
          ? `${reason} (dead-lettered to exchange ${ctx.config.deadLetterExchange})`
          : reason,
      );
    },
    () => channel.nack(message, false, false),
  );
  ctx.warn(`refused ${what}: ${reason}`);
}

/**
 * Acknowledges on a channel that may have closed meanwhile: then the broker requeues the
 * message itself and a redelivery stores it again under the same content-derived ids,
 * which JetStream deduplicates.
 */
function safely(settleMessage: () => void): boolean {
  try {
    settleMessage();
    return true;
  } catch {
    return false;
  }
}
