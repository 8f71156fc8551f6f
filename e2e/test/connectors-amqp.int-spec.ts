import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect as connectNats } from '@nats-io/transport-node';
import type { ChannelModel, Channel } from 'amqplib';
import {
  type AppProcess,
  callJsonApi,
  createdConnectorId,
  freePort,
  requireEnv,
  startAppProcess,
  tokens,
  uniqueName,
  waitFor,
  waitForSinkConsumer,
} from '@iotwins/testing';
import {
  brokerConfig,
  connectBroker,
  consumerPrefetch,
  queueCounters,
  rabbit,
  type QueueCounters,
} from './connectors-amqp.fixture';

/**
 * The AMQP connectors end to end against the RabbitMQ of scripts/services.sh: messages a
 * testbed publishes come back exactly from the query API, each stored once across a kill -9
 * of the ingest replica consuming them; failures show as a precise status while other
 * connectors of the tenant go on; the sink delivers the platform's telemetry to a queue with
 * publisher confirms and dead-letters what its broker will not take.
 */
describe('connectors: AMQP 0-9-1 source and sink (RabbitMQ) through ingest -> JetStream -> timeseries', () => {
  const BASE_MS = Date.UTC(2026, 10, 24, 8, 0, 0);
  let ingestA: AppProcess;
  let ingestB: AppProcess;
  let ingestC: AppProcess | undefined;
  let timeseries: AppProcess;
  let token: string;
  let broker: ChannelModel;
  let channel: Channel;
  let nc: NatsConnection;

  beforeAll(async () => {
    const env = { CONNECTORS_LEASE_SECONDS: '2' };
    [ingestA, ingestB, timeseries, broker, nc] = await Promise.all([
      startAppProcess('ingest', env),
      startAppProcess('ingest', env),
      startAppProcess('timeseries'),
      connectBroker(),
      connectNats({
        servers: requireEnv('NATS_URL'),
        user: 'dev',
        pass: requireEnv('NATS_DEV_PASSWORD'),
      }),
    ]);
    channel = await broker.createChannel();
  }, 120_000);
  beforeEach(async () => {
    token = await tokens.gatewayA();
  });

  /** Connectors this spec created: removed at the end even when a test failed midway. */
  const created: string[] = [];
  /** Queues and exchanges this spec declared on the shared vhost. */
  const queues: string[] = [];
  const exchanges: string[] = [];
  const alive = (): AppProcess =>
    [ingestA, ingestB, ingestC].find(
      (app): app is AppProcess => !!app && app.process.exitCode === null && !app.process.killed,
    )!;
  afterAll(async () => {
    const app = alive();
    if (app) for (const id of created) await call(app, 'DELETE', `/v1/connectors/${id}`);
    if (channel) {
      for (const queue of queues) await channel.deleteQueue(queue).catch(() => undefined);
      for (const exchange of exchanges)
        await channel.deleteExchange(exchange).catch(() => undefined);
    }
    await broker?.close().catch(() => undefined);
    await nc?.close();
    await Promise.all([ingestA?.stop(), ingestB?.stop(), ingestC?.stop(), timeseries?.stop()]);
  });

  const call = async (app: AppProcess, method: string, path: string, body?: unknown) => {
    const answer = await callJsonApi(app.baseUrl, token, method, path, body);
    const id = createdConnectorId(method, path, answer);
    if (id) created.push(id);
    return answer;
  };

  const createConnector = async (type: string, config: unknown, name = uniqueName(type)) => {
    const response = await call(alive(), 'POST', '/v1/connectors', { name, type, config });
    expect(response.status).toBe(201);
    return response.body as { id: string; config: Record<string, unknown> };
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a connector's status, checked by the caller
  const statusOf = async (id: string): Promise<any> =>
    (await call(alive(), 'GET', `/v1/connectors/${id}`)).body.status;

  const waitForStatus = async (
    id: string,
    what: string,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as statusOf
    predicate: (status: any) => boolean,
    timeoutMs = 30_000,
    intervalMs = 250,
  ) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as statusOf
    let last: any;
    await waitFor(
      what,
      async () => {
        last = await statusOf(id);
        return predicate(last);
      },
      { timeoutMs, intervalMs },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last status ${JSON.stringify(last)}`);
    });
    return last;
  };

  const storedPoints = async (measurement: string) => {
    const response = await fetch(
      `${timeseries.baseUrl}/v1/measurements/${measurement}/points?start=2026-01-01T00:00:00Z&end=2027-01-01T00:00:00Z&limit=10000`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(response.status).toBe(200);
    const { series } = (await response.json()) as {
      series: {
        tags: Record<string, string>;
        points: { time: string; fields: Record<string, unknown> }[];
      }[];
    };
    return series
      .flatMap((s) => s.points.map((p) => ({ tags: s.tags, ...p })))
      .sort(
        (a, b) =>
          a.time.localeCompare(b.time) || JSON.stringify(a).localeCompare(JSON.stringify(b)),
      );
  };

  const isoNs = (ms: number) => new Date(ms).toISOString().replace('Z', '000000Z');
  const publish = (queue: string, body: string) => channel.sendToQueue(queue, Buffer.from(body));

  const declareQueue = async (queue: string) => {
    queues.push(queue);
    await channel.assertQueue(queue, { durable: true });
  };

  it('refuses a bad configuration naming every wrong field', async () => {
    const source = await call(ingestA, 'POST', '/v1/connectors', {
      name: 'bad',
      type: 'amqp-source',
      config: {
        url: 'http://127.0.0.1:5672',
        username: 'u',
        queue: 'q',
        format: 'xml',
        prefetch: 0,
        declareQueue: false,
        bindings: [{ exchange: 'x', routingKey: 'a.#' }],
      },
    });
    expect(source.status).toBe(400);
    expect(source.body.errors).toEqual(
      expect.arrayContaining([
        { pointer: '/config/url', detail: 'expected an amqp or amqps URL' },
        expect.objectContaining({ pointer: '/config/password' }),
        expect.objectContaining({ pointer: '/config/format' }),
        expect.objectContaining({ pointer: '/config/prefetch' }),
      ]),
    );
    const bindings = await call(ingestA, 'POST', '/v1/connectors', {
      name: 'bad',
      type: 'amqp-source',
      config: { ...brokerConfig(), queue: 'q', declareQueue: false, bindings: [{ exchange: 'x' }] },
    });
    expect(bindings.status).toBe(400);
    expect(bindings.body.errors).toEqual([
      {
        pointer: '/config/bindings',
        detail: 'bindings need "declareQueue": true (the connector binds the queue it declares)',
      },
    ]);
    const credentialsInUrl = await call(ingestA, 'POST', '/v1/connectors', {
      name: 'bad',
      type: 'amqp-source',
      config: { ...brokerConfig(), url: 'amqp://user:pw@127.0.0.1', queue: 'q' },
    });
    expect(credentialsInUrl.body.errors).toEqual([
      {
        pointer: '/config/url',
        detail: 'put the user in "username" and the password in "password", not in the URL',
      },
    ]);
    const sink = await call(ingestA, 'POST', '/v1/connectors', {
      name: 'bad',
      type: 'amqp-sink',
      config: { ...brokerConfig(), exchange: 'x', routingKey: 'plant.{nope}' },
    });
    expect(sink.status).toBe(400);
    expect(sink.body.errors).toEqual([
      {
        pointer: '/config/routingKey',
        detail: 'unknown placeholder {nope}; expected {tenant}, {subject}, {measurement}, {event}',
      },
    ]);
    const eventsByMeasurement = await call(ingestA, 'POST', '/v1/connectors', {
      name: 'bad',
      type: 'amqp-sink',
      config: {
        ...brokerConfig(),
        exchange: 'x',
        routingKey: '{measurement}',
        source: { stream: 'events' },
      },
    });
    expect(eventsByMeasurement.status).toBe(400);
    expect(eventsByMeasurement.body.errors).toEqual([
      {
        pointer: '/config/routingKey',
        detail: 'events have no {measurement}; use {event} or {subject}',
      },
    ]);
  });

  it('stores JSON and line-protocol messages of a binding exactly, dead-letters a bad one', async () => {
    const measurement = uniqueName('amqp-press');
    const exchange = uniqueName('plant');
    const dlx = uniqueName('plant-dlx');
    const dlq = uniqueName('plant-dlq');
    const queue = uniqueName('platform-in');
    exchanges.push(exchange, dlx);
    queues.push(queue, dlq);
    await channel.assertExchange(exchange, 'topic', { durable: false });
    await channel.assertExchange(dlx, 'fanout', { durable: false });
    await channel.assertQueue(dlq, { durable: false });
    await channel.bindQueue(dlq, dlx, '');

    const connector = await createConnector('amqp-source', {
      ...brokerConfig(),
      queue,
      bindings: [{ exchange, routingKey: 'press.#' }],
      deadLetterExchange: dlx,
      measurement,
      prefetch: 10,
    });
    expect(connector.config.password).toEqual({ set: true });
    expect(JSON.stringify(connector)).not.toContain(rabbit.password());
    await waitForStatus(connector.id, 'consuming', (s) => s.state === 'running');

    // Ten JSON messages without measurement (the connector's default), ten of two lines each.
    for (let i = 0; i < 10; i += 1)
      channel.publish(
        exchange,
        `press.p${i % 2}`,
        Buffer.from(
          JSON.stringify({
            tags: { press: `p${i % 2}` },
            fields: { force: 100 + i + 0.5, strokes: { type: 'integer', value: i } },
            time: BASE_MS + i * 1000,
          }),
        ),
      );
    for (let i = 10; i < 20; i += 1)
      channel.publish(
        exchange,
        `press.p${i % 2}.lp`,
        Buffer.from(
          `${measurement},press=p${i % 2} force=${100 + i + 0.5},strokes=${i}i ${BigInt(BASE_MS + i * 1000) * 1_000_000n}\n` +
            `${measurement},press=p${i % 2} force=${200 + i + 0.5},strokes=${i}i ${BigInt(BASE_MS + i * 1000 + 500) * 1_000_000n}`,
        ),
      );
    // Not routed to the connector's queue: never read.
    channel.publish(
      exchange,
      'lathe.l1',
      Buffer.from(`${measurement},press=none force=1 ${BigInt(BASE_MS) * 1_000_000n}`),
    );
    // Nothing storable in it: rejected once, to the queue's dead-letter exchange.
    channel.publish(exchange, 'press.p0', Buffer.from('{"fields": "not an object"}'));

    const expected = [
      ...Array.from({ length: 10 }, (_, i) => ({
        tags: { press: `p${i % 2}` },
        time: isoNs(BASE_MS + i * 1000),
        fields: { force: 100 + i + 0.5, strokes: { type: 'integer', value: i } },
      })),
      ...Array.from({ length: 10 }, (_, j) => j + 10).flatMap((i) => [
        {
          tags: { press: `p${i % 2}` },
          time: isoNs(BASE_MS + i * 1000),
          fields: { force: 100 + i + 0.5, strokes: { type: 'integer', value: i } },
        },
        {
          tags: { press: `p${i % 2}` },
          time: isoNs(BASE_MS + i * 1000 + 500),
          fields: { force: 200 + i + 0.5, strokes: { type: 'integer', value: i } },
        },
      ]),
    ].sort(
      (a, b) => a.time.localeCompare(b.time) || JSON.stringify(a).localeCompare(JSON.stringify(b)),
    );
    await waitFor('30 points', async () => (await storedPoints(measurement)).length >= 30);
    expect(await storedPoints(measurement)).toEqual(expected);

    const status = await waitForStatus(
      connector.id,
      'every message settled',
      (s) => s.recordsRead === 21 && s.deadLettered === 1,
    );
    expect(status).toMatchObject({
      state: 'running',
      recordsRead: 21,
      pointsWritten: 30,
      recordsRefused: 1,
      deadLettered: 1,
    });
    expect(status.lastDeadLetter.reason).toMatch(
      new RegExp(`^/points/0.*\\(dead-lettered to exchange ${dlx}\\)$`),
    );
    // The bad message sits in the dead-letter queue, once; the connector's queue is empty.
    const dead = await channel.get(dlq, { noAck: true });
    expect(dead && dead.content.toString()).toBe('{"fields": "not an object"}');
    expect(await channel.get(dlq, { noAck: true })).toBe(false);
    expect(await queueCounters(queue)).toMatchObject({
      messages_ready: 0,
      messages_unacknowledged: 0,
      consumers: 1,
    });
  }, 90_000);

  it('stores every message once across a kill -9 of the consuming replica and a restart', async () => {
    const measurement = uniqueName('amqp-kill');
    const queue = uniqueName('kill-in');
    await declareQueue(queue);
    const TOTAL = 6000;
    // A durable of the test on the subject: TELEMETRY keeps (interest retention) what it has
    // not acknowledged, so its pending count is what JetStream stored, duplicates excluded.
    const jsm = await jetstreamManager(nc);
    const subject = `telemetry.tenant-a.${measurement}`;
    const counter = uniqueName('amqp-spec-count');
    await jsm.consumers.add('TELEMETRY', {
      durable_name: counter,
      filter_subject: subject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
    const line = (i: number) =>
      `${measurement},cell=c${i % 3} seq=${i}i ${BigInt(BASE_MS + i) * 1_000_000n}`;
    // Two thirds now, the rest only after the kill: the kill always comes mid-stream.
    const HELD_FROM = 4000;
    for (let i = 0; i < HELD_FROM; i += 1) publish(queue, line(i));
    const connector = await createConnector('amqp-source', {
      ...brokerConfig(),
      queue,
      declareQueue: false,
      format: 'line-protocol',
      prefetch: 20,
    });
    // Mid-stream: some stored, not all. Then kill the replica that consumes.
    const running = await waitForStatus(
      connector.id,
      'some stored',
      (s) => s.pointsWritten >= 500,
      60_000,
      50,
    );
    const runnerPid = running.runner.split(':')[1];
    const victim = [ingestA, ingestB].find((app) => String(app.process.pid) === runnerPid)!;
    expect(victim).toBeDefined();
    try {
      await victim.stop('SIGKILL');
    } finally {
      // The restarted replica, even when the kill failed; the other one takes over the lease
      // meanwhile.
      ingestC = await startAppProcess('ingest', { CONNECTORS_LEASE_SECONDS: '2' });
    }
    const storedAtKill = (await jsm.consumers.info('TELEMETRY', counter)).num_pending;
    expect(storedAtKill).toBeLessThanOrEqual(HELD_FROM);
    for (let i = HELD_FROM; i < TOTAL; i += 1) publish(queue, line(i));

    await waitFor(
      `all ${TOTAL} points`,
      async () => (await storedPoints(measurement)).length >= TOTAL,
      { timeoutMs: 90_000, intervalMs: 1_000 },
    );
    const points = await storedPoints(measurement);
    expect(points).toHaveLength(TOTAL);
    expect(new Set(points.map((p) => (p.fields.seq as { value: number }).value)).size).toBe(TOTAL);
    // Stored once: JetStream holds exactly one message per AMQP message on the subject, the
    // messages redelivered after the kill deduplicated by their content-derived ids.
    const stored = await jsm.consumers.info('TELEMETRY', counter);
    expect(stored.num_pending).toBe(TOTAL);
    await jsm.consumers.delete('TELEMETRY', counter);
    await waitFor('queue drained', async () => {
      const counters = await queueCounters(queue);
      return counters?.messages_ready === 0 && counters.messages_unacknowledged === 0;
    });
    const status = await statusOf(connector.id);
    expect(status.runner.split(':')[1]).not.toBe(runnerPid);
    expect(status.state).toBe('running');
    // The counters agree with what was stored, though the killed replica had counted (and
    // acknowledged) messages it had no time to flush: each acknowledgement waits for the
    // status that counts it.
    const counted = await waitForStatus(
      connector.id,
      'the counters of every message',
      (s) => s.recordsRead >= TOTAL,
      10_000,
    ).catch(() => statusOf(connector.id));
    expect(counted).toMatchObject({
      recordsRead: TOTAL,
      pointsWritten: TOTAL,
      recordsRefused: 0,
    });
  }, 240_000);

  it('shows wrong credentials, an unreachable broker and a missing queue while another connector runs', async () => {
    const goodQueue = uniqueName('good-in');
    const missingQueue = uniqueName('missing-in');
    queues.push(missingQueue);
    await declareQueue(goodQueue);
    const measurement = uniqueName('amqp-good');
    const good = await createConnector('amqp-source', {
      ...brokerConfig(),
      queue: goodQueue,
      measurement,
    });
    const wrongPassword = await createConnector('amqp-source', {
      ...brokerConfig('not-the-password'),
      queue: goodQueue,
    });
    const closedPort = await freePort();
    const unreachable = await createConnector('amqp-source', {
      ...brokerConfig(),
      url: `amqp://127.0.0.1:${closedPort}`,
      queue: goodQueue,
    });
    // Cloud metadata: internal, and not in OUTBOUND_ALLOWED_CIDRS (local.env allows loopback).
    const internal = await createConnector('amqp-source', {
      ...brokerConfig(),
      url: 'amqp://169.254.169.254:5672',
      queue: goodQueue,
    });
    const missing = await createConnector('amqp-source', {
      ...brokerConfig(),
      queue: missingQueue,
      declareQueue: false,
    });

    const failing = async (id: string) =>
      (await waitForStatus(id, 'failing', (s) => s.state === 'failing')).lastError as string;
    const [wrong, refused, notFound, blocked] = await Promise.all([
      failing(wrongPassword.id),
      failing(unreachable.id),
      failing(missing.id),
      failing(internal.id),
    ]);
    expect(blocked).toMatch(
      /^169\.254\.169\.254:5672 queue [^ ]+: 169\.254\.169\.254 is an internal address the platform does not call for tenants \(an operator may allow it in OUTBOUND_ALLOWED_CIDRS\) \(retrying in \d+ s\)$/,
    );
    const broker = `127.0.0.1:${requireEnv('RABBITMQ_PORT')}`;
    expect(wrong).toMatch(
      new RegExp(
        `^${broker} queue ${goodQueue}: ACCESS_REFUSED: wrong credentials \\(login refused\\) \\(retrying in \\d+ s\\)$`,
      ),
    );
    expect(wrong).not.toContain('not-the-password');
    expect(refused).toMatch(
      new RegExp(
        `^127\\.0\\.0\\.1:${closedPort} queue ${goodQueue}: connection refused \\(retrying in \\d+ s\\)$`,
      ),
    );
    expect(notFound).toMatch(
      new RegExp(
        `^${broker} queue ${missingQueue}: NOT_FOUND: no queue '${missingQueue}' in vhost '${rabbit.vhost()}' \\(retrying in \\d+ s\\)$`,
      ),
    );

    // Meanwhile the good one stores what arrives.
    for (let i = 0; i < 5; i += 1)
      publish(goodQueue, JSON.stringify({ fields: { v: i + 0.25 }, time: BASE_MS + i }));
    await waitFor('5 points', async () => (await storedPoints(measurement)).length === 5);
    expect((await statusOf(good.id)).state).toBe('running');

    // The queue appears: the connector's next attempt finds it and consumes.
    await channel.assertQueue(missingQueue, { durable: true });
    publish(missingQueue, `${measurement},from=late v=9.5 ${BigInt(BASE_MS + 99) * 1_000_000n}`);
    await waitForStatus(
      missing.id,
      'recovered',
      (s) => s.state === 'running' && s.pointsWritten === 1,
      40_000,
    );
    // Counted once in JetStream; in InfluxDB once timeseries has written it.
    await waitFor('the late point stored', async () =>
      (await storedPoints(measurement)).some((p) => p.tags.from === 'late'),
    );
    expect((await storedPoints(measurement)).filter((p) => p.tags.from === 'late')).toHaveLength(1);
    for (const id of [wrongPassword.id, unreachable.id, internal.id])
      expect((await call(alive(), 'POST', `/v1/connectors/${id}/pause`)).status).toBe(200);
  }, 120_000);

  it('keeps at most prefetch messages unacknowledged, as the broker counts them', async () => {
    const queue = uniqueName('prefetch-in');
    const measurement = uniqueName('amqp-prefetch');
    await declareQueue(queue);
    const connector = await createConnector('amqp-source', {
      ...brokerConfig(),
      queue,
      prefetch: 5,
    });
    await waitForStatus(connector.id, 'consuming', (s) => s.state === 'running');
    expect(await consumerPrefetch(queue)).toEqual([5]);
    // More than the connector drains while the broker is asked a few times.
    const TOTAL = 20_000;
    for (let i = 0; i < TOTAL; i += 1)
      publish(queue, `${measurement},s=s${i % 4} v=${i}i ${BigInt(BASE_MS + i) * 1_000_000n}`);
    const samples: QueueCounters[] = [];
    for (;;) {
      const counters = (await queueCounters(queue))!;
      samples.push(counters);
      if (counters.messages_ready === 0) break;
    }
    // While messages waited in the queue, never more than 5 were in the connector's hands.
    const waiting = samples.filter((sample) => sample.messages_ready > 0);
    expect(waiting.length).toBeGreaterThanOrEqual(2);
    expect(
      Math.max(...samples.map((sample) => sample.messages_unacknowledged)),
    ).toBeLessThanOrEqual(5);
    expect(Math.max(...waiting.map((sample) => sample.messages_unacknowledged))).toBeGreaterThan(0);
    await waitFor(
      `all ${TOTAL} points`,
      async () => (await storedPoints(measurement)).length === TOTAL,
      {
        timeoutMs: 90_000,
        intervalMs: 1_000,
      },
    );
  }, 240_000);

  describe('sink', () => {
    const write = async (body: string) => {
      const response = await fetch(`${alive().baseUrl}/write?db=tenant-a`, {
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      });
      expect(response.status).toBe(204);
    };

    it('delivers telemetry written over HTTP to a queue, with confirms, and dead-letters what a missing exchange refuses without slowing it', async () => {
      const measurement = uniqueName('amqp-out');
      const otherMeasurement = uniqueName('amqp-nowhere');
      const exchange = uniqueName('platform-out');
      const queue = uniqueName('testbed-in');
      exchanges.push(exchange);
      queues.push(queue);
      await channel.assertExchange(exchange, 'topic', { durable: false });
      await channel.assertQueue(queue, { durable: false });
      await channel.bindQueue(queue, exchange, 'iotwins.#');

      const sink = await createConnector('amqp-sink', {
        ...brokerConfig(),
        exchange,
        routingKey: 'iotwins.{tenant}.{measurement}',
        source: { stream: 'telemetry', filter: measurement, batchSize: 50 },
      });
      const broken = await createConnector('amqp-sink', {
        ...brokerConfig(),
        exchange: `${exchange}-missing`,
        routingKey: '{measurement}',
        source: { filter: otherMeasurement, maxDeliveries: 3, retryDelaySeconds: 0.5 },
      });
      await Promise.all([waitForSinkConsumer(sink.id), waitForSinkConsumer(broken.id)]);

      const lines = Array.from(
        { length: 6 },
        (_, i) =>
          `${measurement},line=L${i % 2} v=${i + 0.5},n=${i}i ${BigInt(BASE_MS + i) * 1_000_000n}`,
      );
      await write(`${otherMeasurement} v=1 ${BigInt(BASE_MS) * 1_000_000n}`);
      const started = Date.now();
      await write(lines.slice(0, 3).join('\n'));
      await write(lines.slice(3).join('\n'));

      // The test reads the queue as the testbed would.
      const received: {
        routingKey: string;
        body: string;
        messageId?: string;
        contentType?: string;
      }[] = [];
      await waitFor('6 lines in the queue', async () => {
        for (;;) {
          const message = await channel.get(queue, { noAck: true });
          if (!message) break;
          received.push({
            routingKey: message.fields.routingKey,
            body: message.content.toString(),
            messageId: message.properties.messageId as string | undefined,
            contentType: message.properties.contentType as string | undefined,
          });
        }
        return received.flatMap((m) => m.body.split('\n')).length >= 6;
      });
      const deliveredWithin = Date.now() - started;
      expect(received.flatMap((m) => m.body.split('\n')).sort()).toEqual([...lines].sort());
      for (const message of received) {
        expect(message.routingKey).toBe(`iotwins.tenant-a.${measurement}`);
        expect(message.messageId).toMatch(/^telemetry-\d+$/);
        expect(message.contentType).toBe('text/plain');
      }
      // Confirmed by the broker, then acknowledged to JetStream: nothing left pending.
      const jsm = await jetstreamManager(nc);
      await waitFor('acknowledged', async () => {
        const info = await jsm.consumers.info('TELEMETRY', `connector-${sink.id}`);
        return info.num_ack_pending === 0 && info.num_pending === 0;
      });
      const status = await waitForStatus(
        sink.id,
        'delivered',
        (s) => s.recordsRead >= received.length,
      );
      expect(status.state).toBe('running');
      expect(status.deadLettered).toBe(0);

      // The other sink retries, then gives its message up, shown in its status, while the
      // good one delivered within seconds (its own consumer and loop).
      const deadStatus = await waitForStatus(
        broken.id,
        'dead-lettered',
        (s) => s.deadLettered === 1,
        60_000,
      );
      expect(deadStatus.state).toBe('failing');
      expect(deadStatus.lastDeadLetter.what).toMatch(
        new RegExp(`^telemetry\\.tenant-a\\.${otherMeasurement} #\\d+$`),
      );
      expect(deadStatus.lastDeadLetter.reason).toBe(
        `3 deliveries failed: 127.0.0.1:${requireEnv('RABBITMQ_PORT')}: NOT_FOUND: no exchange '${exchange}-missing' in vhost '${rabbit.vhost()}'`,
      );
      expect(deliveredWithin).toBeLessThan(10_000);
      const info = await jsm.consumers.info('TELEMETRY', `connector-${broken.id}`);
      expect(info.num_ack_pending + info.num_pending).toBe(0);
    }, 120_000);
  });
});
