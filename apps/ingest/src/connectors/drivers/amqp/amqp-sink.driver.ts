import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { ConnectorContext, ConnectorDriver, ConfigProblem } from '../../connector.driver';
import { removeSinkConsumer, runSink, type SinkMessage } from '../../connector.sink';
import { amqpSinkConfigSchema, brokerAddress, type AmqpSinkConfig } from './amqp.config';
import { connectGuarded } from './amqp-connect';
import { describeAmqpError } from './amqp-errors';
import { placeholdersOf, routingKeyFor } from './amqp-routing-key';

type Ctx = ConnectorContext<AmqpSinkConfig>;

/** The open connection and confirm channel of a sink, reopened after either closed. */
interface Link {
  connection: ChannelModel;
  channel: ConfirmChannel;
  closed: boolean;
  /** The broker's reason for closing, when it gave one (e.g. NOT_FOUND of the exchange). */
  reason?: string;
}

/**
 * Publishes the tenant's telemetry (line protocol) or events (the JSON envelope) to an
 * exchange of a testbed's broker, one AMQP message per JetStream message, with publisher
 * confirms: a batch is acknowledged to JetStream only after the broker confirmed every
 * message of it. A refused batch (exchange missing, broker away, a nack) is retried by
 * runSink with a doubling delay and dead-lettered after `maxDeliveries`.
 */
export const amqpSinkDriver: ConnectorDriver<AmqpSinkConfig> = {
  type: 'amqp-sink',
  kind: 'sink',
  configSchema: amqpSinkConfigSchema,

  check(config) {
    const problems: ConfigProblem[] = [];
    const used = placeholdersOf(config.routingKey);
    if (config.source.stream === 'events' && used.includes('measurement'))
      problems.push({
        pointer: '/config/routingKey',
        detail: 'events have no {measurement}; use {event} or {subject}',
      });
    if (config.source.stream === 'telemetry' && used.includes('event'))
      problems.push({
        pointer: '/config/routingKey',
        detail: 'telemetry has no {event}; use {measurement} or {subject}',
      });
    return problems;
  },

  async run(ctx) {
    let link: Link | undefined;
    try {
      await runSink(ctx, async (messages) => {
        if (!link || link.closed) link = await open(ctx);
        await publishConfirmed(ctx, link, messages);
      });
    } finally {
      if (link && !link.closed) await link.connection.close().catch(() => undefined);
    }
  },

  cleanup: ({ nats, id, config }) => removeSinkConsumer(nats, id, config.source),
};

async function open(ctx: Ctx): Promise<Link> {
  const { config } = ctx;
  let connection: ChannelModel;
  try {
    connection = await connectGuarded(ctx);
  } catch (error) {
    throw new Error(`${brokerAddress(config)}: ${describeAmqpError(error)}`);
  }
  const link = { connection, closed: false } as Link;
  const markClosed = (error?: unknown): void => {
    link.closed = true;
    if (error) link.reason ??= describeAmqpError(error);
  };
  connection.on('error', markClosed);
  connection.on('close', markClosed);
  try {
    link.channel = await connection.createConfirmChannel();
    link.channel.on('error', markClosed);
    link.channel.on('close', markClosed);
    // A missing exchange closes the channel; say so before publishing into the void.
    if (config.exchange !== '') await link.channel.checkExchange(config.exchange);
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw new Error(`${brokerAddress(config)}: ${describeAmqpError(error)}`);
  }
  return link;
}

/** Publishes a batch and resolves once the broker confirmed all of it; rejects otherwise. */
async function publishConfirmed(ctx: Ctx, link: Link, messages: SinkMessage[]): Promise<void> {
  const { config } = ctx;
  const contentType = config.source.stream === 'events' ? 'application/json' : 'text/plain';
  const confirms = messages.map(
    (message) =>
      new Promise<void>((resolve, reject) => {
        try {
          link.channel.publish(
            config.exchange,
            routingKeyFor(config.routingKey, message.subject),
            Buffer.from(message.data),
            {
              persistent: config.persistent,
              contentType,
              // Stable across redeliveries: a receiver's idempotency key.
              messageId: `${config.source.stream}-${message.seq}`,
              headers: { 'x-iotwins-subject': message.subject },
            },
            (error: unknown) => (error ? reject(new Error(describeAmqpError(error))) : resolve()),
          );
        } catch (error) {
          reject(new Error(describeAmqpError(error)));
        }
      }),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`no confirm from the broker within ${config.confirmTimeoutSeconds} s`)),
      config.confirmTimeoutSeconds * 1000,
    );
  });
  try {
    await Promise.race([Promise.all(confirms), timeout]);
  } catch (error) {
    // A channel that failed a publish is not reused: the next delivery opens a new one.
    link.closed = true;
    await link.connection.close().catch(() => undefined);
    const reason = link.reason ?? (error as Error).message;
    throw new Error(
      `publishing to exchange '${config.exchange}' at ${brokerAddress(config)} failed: ${reason}`,
    );
  } finally {
    clearTimeout(timer);
  }
}
