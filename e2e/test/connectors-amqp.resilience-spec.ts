import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect as connectNats } from '@nats-io/transport-node';
import type { Channel, ChannelModel } from 'amqplib';
import {
  type AppProcess,
  callJsonApi,
  requireEnv,
  services,
  startAppProcess,
  tokens,
  uniqueName,
  waitFor,
} from '@iotwins/testing';
import { brokerConfig, connectBroker } from './connectors-amqp.fixture';

/**
 * RabbitMQ restarted under the AMQP connectors (the resilience tier: it stops a server): the
 * source shows why it cannot read, reconnects with back-off once the broker is back and
 * stores every message the durable queue kept, once; the sink retries what the broker could
 * not take and delivers it after the restart, nothing dead-lettered.
 */
describe('AMQP connectors across a RabbitMQ restart', () => {
  const BASE_MS = Date.UTC(2026, 10, 25, 8, 0, 0);
  let ingest: AppProcess;
  let timeseries: AppProcess;
  let token: string;
  let broker: ChannelModel;
  let channel: Channel;
  let nc: NatsConnection;
  const created: string[] = [];
  const queues: string[] = [];
  const exchanges: string[] = [];

  const open = async () => {
    await broker?.close().catch(() => undefined);
    broker = await connectBroker();
    broker.on('error', () => undefined);
    channel = await broker.createChannel();
    channel.on('error', () => undefined);
  };

  beforeAll(async () => {
    services('start', 'rabbitmq');
    [ingest, timeseries, nc] = await Promise.all([
      startAppProcess('ingest'),
      startAppProcess('timeseries'),
      connectNats({
        servers: requireEnv('NATS_URL'),
        user: 'dev',
        pass: requireEnv('NATS_DEV_PASSWORD'),
      }),
      open(),
    ]);
    token = await tokens.gatewayA();
  }, 120_000);
  afterAll(async () => {
    services('start', 'rabbitmq');
    for (const id of created) await call('DELETE', `/v1/connectors/${id}`).catch(() => undefined);
    await open().catch(() => undefined);
    for (const queue of queues) await channel?.deleteQueue(queue).catch(() => undefined);
    for (const exchange of exchanges)
      await channel?.deleteExchange(exchange).catch(() => undefined);
    await broker?.close().catch(() => undefined);
    await nc?.close();
    await Promise.all([ingest?.stop(), timeseries?.stop()]);
  }, 120_000);

  const call = async (method: string, path: string, body?: unknown) =>
    (await callJsonApi(ingest.baseUrl, token, method, path, body)).body;
  const create = async (type: string, config: unknown): Promise<string> => {
    const { id } = (await call('POST', '/v1/connectors', {
      name: uniqueName(type),
      type,
      config,
    })) as { id: string };
    created.push(id);
    return id;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a connector status
  const statusOf = async (id: string): Promise<any> =>
    ((await call('GET', `/v1/connectors/${id}`)) as { status: unknown }).status;
  const storedCount = async (measurement: string): Promise<number> => {
    const response = await fetch(
      `${timeseries.baseUrl}/v1/measurements/${measurement}/points?start=2026-01-01T00:00:00Z&end=2027-01-01T00:00:00Z&limit=10000`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    const { series } = (await response.json()) as { series: { points: unknown[] }[] };
    return series.reduce((sum, s) => sum + s.points.length, 0);
  };

  it('reconnects the source and the sink; nothing lost, nothing stored twice', async () => {
    const inQueue = uniqueName('restart-in');
    const exchange = uniqueName('restart-out');
    const outQueue = uniqueName('restart-out');
    const readings = uniqueName('amqp-restart');
    const outgoing = uniqueName('amqp-restart-out');
    queues.push(inQueue, outQueue);
    exchanges.push(exchange);
    // Durable, so the broker keeps them (and the persistent messages) across its restart.
    await channel.assertQueue(inQueue, { durable: true });
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.assertQueue(outQueue, { durable: true });
    await channel.bindQueue(outQueue, exchange, 'out.#');

    const source = await create('amqp-source', {
      ...brokerConfig(),
      queue: inQueue,
      declareQueue: false,
      prefetch: 20,
    });
    const sink = await create('amqp-sink', {
      ...brokerConfig(),
      exchange,
      routingKey: 'out.{measurement}',
      source: { filter: outgoing, retryDelaySeconds: 0.5, maxDeliveries: 100 },
    });
    const jsm = await jetstreamManager(nc);
    await waitFor('the source consuming and the sink durable', async () => {
      const running = (await statusOf(source)).state === 'running';
      return running && !!(await jsm.consumers.info('TELEMETRY', `connector-${sink}`));
    });

    // A durable of the test on the readings: TELEMETRY keeps what it has not acknowledged
    // (interest retention), so its pending count is what JetStream stored, duplicates excluded.
    const counter = uniqueName('amqp-restart-count');
    await jsm.consumers.add('TELEMETRY', {
      durable_name: counter,
      filter_subject: `telemetry.tenant-a.${readings}`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
    const TOTAL = 500;
    for (let i = 0; i < TOTAL; i += 1)
      channel.sendToQueue(
        inQueue,
        Buffer.from(`${readings},n=n${i % 5} v=${i}i ${BigInt(BASE_MS + i) * 1_000_000n}`),
        { persistent: true },
      );
    await waitFor('some stored', async () => (await storedCount(readings)) > 0);
    await broker.close().catch(() => undefined);
    services('stop', 'rabbitmq');

    // Down: the source says why; the sink fails the telemetry written meanwhile.
    const down = await waitFor(
      'source failing',
      async () => (await statusOf(source)).state === 'failing',
      {
        timeoutMs: 30_000,
      },
    ).then(() => statusOf(source));
    expect(down.lastError).toMatch(
      new RegExp(
        `^127\\.0\\.0\\.1:${requireEnv('RABBITMQ_PORT')} queue ${inQueue}: (connection refused|connection closed by the broker|CONNECTION_FORCED: .*)( \\(retrying in \\d+ s\\))?$`,
      ),
    );
    const lines = Array.from(
      { length: 5 },
      (_, i) => `${outgoing},s=a v=${i}i ${BigInt(BASE_MS + i) * 1_000_000n}`,
    );
    const written = await fetch(`${ingest.baseUrl}/write?db=tenant-a`, {
      method: 'POST',
      body: lines.join('\n'),
      headers: { authorization: `Bearer ${token}` },
    });
    expect(written.status).toBe(204);
    await waitFor('sink failing', async () => (await statusOf(sink)).state === 'failing');
    expect((await statusOf(sink)).lastError).toMatch(/connection refused/);

    services('start', 'rabbitmq');
    await open();
    await waitFor(`all ${TOTAL} readings`, async () => (await storedCount(readings)) >= TOTAL, {
      timeoutMs: 90_000,
      intervalMs: 1_000,
    });
    expect(await storedCount(readings)).toBe(TOTAL);
    expect((await jsm.consumers.info('TELEMETRY', counter)).num_pending).toBe(TOTAL);
    await jsm.consumers.delete('TELEMETRY', counter);
    const received: string[] = [];
    await waitFor(
      'the sink delivered',
      async () => {
        for (;;) {
          const message = await channel.get(outQueue, { noAck: true });
          if (!message) break;
          received.push(...message.content.toString().split('\n'));
        }
        return received.length >= lines.length;
      },
      { timeoutMs: 60_000 },
    );
    expect(received.sort()).toEqual([...lines].sort());
    // Statuses are saved about once a second: the sink's success shows shortly after.
    await waitFor('both running', async () => {
      const [sourceStatus, sinkStatus] = await Promise.all([statusOf(source), statusOf(sink)]);
      return sourceStatus.state === 'running' && sinkStatus.state === 'running';
    });
    expect((await statusOf(sink)).deadLettered).toBe(0);
  }, 240_000);
});
