import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import mqtt, { type MqttClient } from 'mqtt';
import { TELEMETRY_STREAM } from '@iotwins/messaging';
import {
  freePort,
  requireEnv,
  startAppProcess,
  tokens,
  uniqueName,
  waitFor,
  waitForSinkConsumer,
  type AppProcess,
} from '@iotwins/testing';
import { ConnectorsApi, storedPoints } from './connectors-peers.fixture';

/**
 * The external MQTT connectors end to end, with the repo's Mosquitto standing in for a
 * testbed's own broker (user `testbed`, topics testbed/#): the source stores what the
 * testbed's devices publish, through a kill -9 of ingest; the sink publishes the tenant's
 * telemetry to the broker, acknowledged by its PUBACKs.
 */
describe('connectors: external MQTT source and sink', () => {
  const BROKER_USER = 'testbed';
  let brokerPassword: string;
  let brokerUrl: string;
  let ingest: AppProcess;
  let timeseries: AppProcess;
  let token: string;
  let api: ConnectorsApi;
  let device: MqttClient;

  beforeAll(async () => {
    brokerPassword = requireEnv('MQTT_TESTBED_PASSWORD');
    brokerUrl = requireEnv('MQTT_URL');
    const env = { CONNECTORS_LEASE_SECONDS: '2' };
    [ingest, timeseries] = await Promise.all([
      startAppProcess('ingest', env),
      startAppProcess('timeseries'),
    ]);
    token = await tokens.gatewayA();
    api = new ConnectorsApi(ingest, () => token);
    device = await mqtt.connectAsync(brokerUrl, {
      username: BROKER_USER,
      password: brokerPassword,
      protocolVersion: 5,
    });
  }, 120_000);

  /**
   * A test that kills ingest restarts it in its own `finally`; this is the net under a test
   * that failed between the kill and the restart, so no later test depends on it.
   */
  const ingestDown = () =>
    !ingest || ingest.process.exitCode !== null || ingest.process.signalCode !== null;
  const restartIngest = async () => {
    ingest = await startAppProcess('ingest', { CONNECTORS_LEASE_SECONDS: '2' });
    api.app = ingest;
  };
  /** What a test set up outside ingest (a NATS consumer): undone even when it failed. */
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
    if (ingestDown()) await restartIngest();
  }, 120_000);

  afterAll(async () => {
    await api?.removeAll();
    await device?.endAsync();
    await Promise.all([ingest?.stop(), timeseries?.stop()]);
  });

  const broker = () => ({
    url: brokerUrl,
    username: BROKER_USER,
    password: { value: brokerPassword },
  });

  const publish = (topic: string, payload: string) =>
    device.publishAsync(topic, payload, { qos: 1 });

  const byTime = <T extends { time: string }>(points: T[]) =>
    [...points].sort((a, b) => a.time.localeCompare(b.time));

  it('refuses a bad configuration naming every wrong field', async () => {
    const bad = await api.create('bad', 'mqtt-source', {
      url: 'http://user:secret@broker:1883',
      protocolVersion: 3,
      subscriptions: [{ topic: 'plant/+/x', format: 'csv' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/config/protocolVersion',
      '/config/subscriptions/0/format',
      '/config/url',
    ]);
    const patterns = await api.create('bad', 'mqtt-source', {
      url: brokerUrl,
      password: { value: 'x' },
      subscriptions: [
        { topic: 'plant/#/{measurement}' },
        { topic: 'plant/{line}/{line}' },
        { topic: 'plant/raw', format: 'value' },
      ],
    });
    expect(patterns.status).toBe(400);
    expect(patterns.body.errors).toEqual([
      { pointer: '/config/username', detail: 'expected a username with the password' },
      { pointer: '/config/subscriptions/0/topic', detail: '"#" is allowed only as the last level' },
      { pointer: '/config/subscriptions/1/topic', detail: '"{line}" appears twice' },
      {
        pointer: '/config/subscriptions/2/measurement',
        detail: 'a bare value needs a measurement: set one or capture {measurement} in the topic',
      },
    ]);
    const sink = await api.create('bad', 'mqtt-sink', {
      ...broker(),
      source: { stream: 'events' },
      topic: 'out/{measurement}/#',
    });
    expect(sink.status).toBe(400);
    expect(sink.body.errors).toEqual([
      {
        pointer: '/config/topic',
        detail: '"{measurement}" is not known for events; use {tenant}, {service}, {type}',
      },
    ]);
  });

  it('stores JSON, line protocol and bare values with the measurement and tags of their topic', async () => {
    const root = `testbed/${uniqueName('plant')}`;
    const spindle = uniqueName('spindle');
    const raw = uniqueName('raw');
    const created = await api.create(uniqueName('testbed-broker'), 'mqtt-source', {
      ...broker(),
      subscriptions: [
        { topic: `${root}/lines/{line}/{measurement}`, tags: { site: 'bilbao' } },
        { topic: `${root}/raw/{sensor}/{field}`, format: 'value', measurement: raw },
        { topic: `${root}/counter/{sensor}`, format: 'value', measurement: raw, field: 'count' },
      ],
    });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain(brokerPassword);
    const id = created.body.id as string;
    await waitFor('connected', async () => (await api.status(id)).state === 'running');

    await publish(
      `${root}/lines/L1/${spindle}`,
      JSON.stringify({ fields: { rpm: 1200.5 }, time: '2026-11-24T10:00:00Z' }),
    );
    await publish(
      `${root}/lines/L1/${spindle}`,
      JSON.stringify({
        points: [
          { tags: { site: 'gijon' }, fields: { rpm: 1190 }, time: '2026-11-24T10:00:01Z' },
          { fields: { count: { type: 'integer', value: 7 } }, time: '2026-11-24T10:00:02Z' },
        ],
      }),
    );
    // Line protocol names its own measurement; the topic adds its tags.
    await publish(
      `${root}/lines/L2/ignored`,
      `${spindle},spindle=s2 rpm=980.25,state="RUN" 1795514403000000000\n${spindle} rpm=bad 1795514404000000000`,
    );
    const before = Date.now();
    await publish(`${root}/raw/t1/temperature`, '21.5');
    await publish(`${root}/raw/t2/alarm`, 'true');
    await publish(`${root}/raw/t3/state`, 'RUNNING');
    await publish(`${root}/counter/t4`, '17');

    await waitFor('every point', async () => {
      const [a, b] = await Promise.all([
        storedPoints(timeseries, token, spindle),
        storedPoints(timeseries, token, raw),
      ]);
      return a.length >= 4 && b.length >= 4;
    });
    expect(byTime(await storedPoints(timeseries, token, spindle))).toEqual([
      {
        tags: { line: 'L1', site: 'bilbao' },
        time: '2026-11-24T10:00:00.000000000Z',
        fields: { rpm: 1200.5 },
      },
      {
        tags: { line: 'L1', site: 'gijon' },
        time: '2026-11-24T10:00:01.000000000Z',
        fields: { rpm: 1190 },
      },
      {
        tags: { line: 'L1', site: 'bilbao' },
        time: '2026-11-24T10:00:02.000000000Z',
        fields: { count: { type: 'integer', value: 7 } },
      },
      {
        tags: { line: 'L2', site: 'bilbao', spindle: 's2' },
        time: '2026-11-24T10:00:03.000000000Z',
        fields: { rpm: 980.25, state: 'RUN' },
      },
    ]);
    const readings = await storedPoints(timeseries, token, raw);
    expect(
      readings
        .map((p) => ({ tags: p.tags, fields: p.fields }))
        .sort((a, b) => a.tags.sensor!.localeCompare(b.tags.sensor!)),
    ).toEqual([
      { tags: { sensor: 't1' }, fields: { temperature: 21.5 } },
      { tags: { sensor: 't2' }, fields: { alarm: true } },
      { tags: { sensor: 't3' }, fields: { state: 'RUNNING' } },
      { tags: { sensor: 't4' }, fields: { count: 17 } },
    ]);
    // Bare values carry no time: they are stamped when received.
    for (const point of readings) expect(Date.parse(point.time)).toBeGreaterThanOrEqual(before - 1);

    await waitFor('the counters', async () => (await api.status(id)).recordsRead === 7);
    const status = await api.status(id);
    expect(status).toMatchObject({
      state: 'running',
      recordsRead: 7,
      pointsWritten: 8,
      recordsRefused: 1,
      lastError: expect.stringMatching(/^refused from .*\/L2\/ignored: line 2: /),
    });
    expect((await api.call('DELETE', `/v1/connectors/${id}`)).status).toBe(204);
  });

  it('receives what was published while ingest was killed (-9), each message once', async () => {
    const root = `testbed/${uniqueName('cell')}`;
    const measurement = uniqueName('counts');
    const created = await api.create(uniqueName('persistent'), 'mqtt-source', {
      ...broker(),
      clientId: uniqueName('iotwins-cell'),
      subscriptions: [{ topic: `${root}/{machine}`, measurement }],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await waitFor('connected', async () => (await api.status(id)).state === 'running');

    const message = (index: number) =>
      JSON.stringify({
        fields: { parts: { type: 'integer', value: index } },
        time: Date.UTC(2026, 10, 24, 12, 0, index),
      });
    for (let index = 0; index < 10; index += 1)
      await publish(`${root}/m${index % 2}`, message(index));
    await waitFor('the first 10', async () => (await api.status(id)).recordsRead === 10);
    // The status is saved about once a second: let it reach KV before the crash.
    await new Promise((done) => setTimeout(done, 1_500));
    await ingest.stop('SIGKILL');
    try {
      // Published while no connector listens: the broker keeps them in the session.
      for (let index = 10; index < 25; index += 1)
        await publish(`${root}/m${index % 2}`, message(index));
    } finally {
      await restartIngest();
    }

    await waitFor(
      'all 25 points',
      async () => (await storedPoints(timeseries, token, measurement)).length >= 25,
      {
        timeoutMs: 60_000,
      },
    );
    const points = byTime(await storedPoints(timeseries, token, measurement));
    expect(points).toEqual(
      Array.from({ length: 25 }, (_, index) => ({
        tags: { machine: `m${index % 2}` },
        time: new Date(Date.UTC(2026, 10, 24, 12, 0, index))
          .toISOString()
          .replace('.000Z', '.000000000Z'),
        fields: { parts: { type: 'integer', value: index } },
      })),
    );
    // Each message was read once: none delivered twice after the restart.
    await waitFor('the counters', async () => (await api.status(id)).recordsRead >= 25);
    await new Promise((done) => setTimeout(done, 1_500));
    const status = await api.status(id);
    expect(status).toMatchObject({
      state: 'running',
      recordsRead: 25,
      pointsWritten: 25,
      recordsRefused: 0,
    });
    expect((await api.call('DELETE', `/v1/connectors/${id}`)).status).toBe(204);
  }, 120_000);

  it('loses nothing and stores nothing twice when ingest is killed (-9) mid-stream', async () => {
    const root = `testbed/${uniqueName('line')}`;
    const measurement = uniqueName('strokes');
    const created = await api.create(uniqueName('mid-stream'), 'mqtt-source', {
      ...broker(),
      subscriptions: [{ topic: `${root}/{press}`, measurement }],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await waitFor('connected', async () => (await api.status(id)).state === 'running');

    // A consumer of this test's subject that never acknowledges: TELEMETRY keeps messages
    // while a consumer is interested, so its pending count is every message JetStream stored.
    const nc = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
    });
    const jsm = await jetstreamManager(nc);
    const counter = uniqueName('count');
    await jsm.consumers.add(TELEMETRY_STREAM, {
      durable_name: counter,
      filter_subject: `telemetry.tenant-a.${measurement}`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
    cleanups.push(async () => {
      await jsm.consumers.delete(TELEMETRY_STREAM, counter).catch(() => undefined);
      await nc.close();
    });

    const COUNT = 300;
    // The publisher holds back the second half until ingest is killed, so the kill always
    // comes mid-stream (on a fast machine all 300 were once stored before the kill).
    const HELD_FROM = 150;
    let killed!: () => void;
    const afterKill = new Promise<void>((done) => (killed = done));
    const time = (index: number) => Date.UTC(2026, 10, 24, 13, 0, 0) + index * 1000;
    const publishing = (async () => {
      for (let index = 0; index < COUNT; index += 1) {
        if (index === HELD_FROM) await afterKill;
        await publish(
          `${root}/p${index % 3}`,
          JSON.stringify({ fields: { force_kn: 100 + index / 4 }, time: time(index) }),
        );
      }
    })();
    let storedAtKill: number;
    try {
      // Kill the replica while messages are being stored and acknowledged one after another.
      await waitFor(
        'some stored',
        async () => (await storedPoints(timeseries, token, measurement)).length >= 20,
        { intervalMs: 20 },
      );
      await ingest.stop('SIGKILL');
      storedAtKill = (await storedPoints(timeseries, token, measurement)).length;
    } finally {
      killed();
      await publishing;
      if (ingestDown()) await restartIngest();
    }
    expect(storedAtKill).toBeLessThanOrEqual(HELD_FROM);

    await waitFor(
      `all ${COUNT} points`,
      async () => (await storedPoints(timeseries, token, measurement)).length >= COUNT,
      { timeoutMs: 60_000 },
    );
    const points = byTime(await storedPoints(timeseries, token, measurement));
    expect(points).toEqual(
      Array.from({ length: COUNT }, (_, index) => ({
        tags: { press: `p${index % 3}` },
        time: new Date(time(index)).toISOString().replace('.000Z', '.000000000Z'),
        fields: { force_kn: 100 + index / 4 },
      })),
    );
    // The message in flight at the kill came again from the session; JetStream kept one copy.
    expect((await jsm.consumers.info(TELEMETRY_STREAM, counter)).num_pending).toBe(COUNT);
    expect((await api.call('DELETE', `/v1/connectors/${id}`)).status).toBe(204);
  }, 150_000);

  it('shows why it cannot read: wrong password, unreachable broker, internal address', async () => {
    const closedPort = await freePort();
    const failures = [
      {
        config: { ...broker(), password: { value: 'not-the-password' } },
        reason: `cannot connect to ${brokerUrl}: Connection refused: Not authorized (reason code 135)`,
      },
      {
        config: { ...broker(), url: `mqtt://127.0.0.1:${closedPort}` },
        reason: `cannot connect to mqtt://127.0.0.1:${closedPort}: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
      },
      {
        config: { ...broker(), url: 'mqtt://0.0.0.7:1883' },
        reason:
          'cannot connect to mqtt://0.0.0.7:1883: 0.0.0.7 is an internal address the platform does not call for tenants (an operator may allow it in OUTBOUND_ALLOWED_CIDRS)',
      },
    ];
    const ids: string[] = [];
    for (const failure of failures) {
      const created = await api.create(uniqueName('failing'), 'mqtt-source', {
        ...failure.config,
        subscriptions: [{ topic: `testbed/${uniqueName('x')}/{measurement}` }],
      });
      expect(created.status).toBe(201);
      ids.push(created.body.id as string);
    }
    for (const [index, id] of ids.entries()) {
      await waitFor(`failure ${index}`, async () => (await api.status(id)).state === 'failing');
      const status = await api.status(id);
      expect(status.lastError).toBe(`${failures[index]!.reason}; reconnecting`);
      expect(JSON.stringify(status)).not.toContain('not-the-password');
    }
    for (const id of ids)
      expect((await api.call('DELETE', `/v1/connectors/${id}`)).status).toBe(204);
  });

  it('publishes telemetry written over HTTP to the broker, acked by its PUBACKs', async () => {
    const measurement = uniqueName('power');
    const root = `testbed/${uniqueName('platform')}`;
    const received: { topic: string; payload: unknown }[] = [];
    const listener = await mqtt.connectAsync(brokerUrl, {
      username: BROKER_USER,
      password: brokerPassword,
      protocolVersion: 5,
    });
    try {
      await listener.subscribeAsync(`${root}/#`, { qos: 1 });
      listener.on('message', (topic, payload) =>
        received.push({ topic, payload: JSON.parse(payload.toString()) }),
      );
      const created = await api.create(uniqueName('to-testbed'), 'mqtt-sink', {
        ...broker(),
        source: { stream: 'telemetry', filter: measurement, from: 'all' },
        topic: `${root}/{tenant}/{measurement}`,
        format: 'json',
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      await waitForSinkConsumer(id);

      const points = [
        {
          measurement,
          tags: { turbine: 'T1' },
          fields: { power_kw: 1520.5 },
          time: '2026-11-24T10:00:00Z',
        },
        {
          measurement,
          tags: { turbine: 'T2' },
          fields: { power_kw: 990.25, rpm: { type: 'integer', value: 15 } },
          time: '2026-11-24T10:00:01Z',
        },
      ];
      const written = await fetch(`${ingest.baseUrl}/v1/points`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ points }),
      });
      expect(written.status).toBeLessThan(300);

      await waitFor('the telemetry on the broker', async () => received.length >= 1);
      expect(received.map((r) => r.topic)).toEqual([`${root}/tenant-a/${measurement}`]);
      const delivered = received.flatMap((r) => (r.payload as { points: unknown[] }).points);
      expect(delivered).toEqual([
        {
          measurement,
          tags: { turbine: 'T1' },
          fields: { power_kw: 1520.5 },
          time: '2026-11-24T10:00:00.000000000Z',
        },
        {
          measurement,
          tags: { turbine: 'T2' },
          fields: { power_kw: 990.25, rpm: { type: 'integer', value: '15' } },
          time: '2026-11-24T10:00:01.000000000Z',
        },
      ]);
      await waitFor('the counters', async () => (await api.status(id)).recordsRead === 1);
      expect(await api.status(id)).toMatchObject({
        state: 'running',
        pointsWritten: 2,
        deadLettered: 0,
      });
    } finally {
      await listener.endAsync();
    }
  });

  it('publishes the tenant events as their JSON envelopes, one topic per service and type', async () => {
    const service = uniqueName('svc');
    const root = `testbed/${uniqueName('events')}`;
    const received: { topic: string; payload: unknown }[] = [];
    const listener = await mqtt.connectAsync(brokerUrl, {
      username: BROKER_USER,
      password: brokerPassword,
      protocolVersion: 5,
    });
    const nc = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
    });
    try {
      await listener.subscribeAsync(`${root}/#`, { qos: 1 });
      listener.on('message', (topic, payload) =>
        received.push({ topic, payload: JSON.parse(payload.toString()) }),
      );
      const created = await api.create(uniqueName('events-to-testbed'), 'mqtt-sink', {
        ...broker(),
        source: { stream: 'events', filter: `${service}.>`, from: 'all' },
        topic: `${root}/{tenant}/{service}/{type}`,
      });
      expect(created.status).toBe(201);
      const event = {
        id: uniqueName('event'),
        type: 'machine.stopped.v1',
        source: service,
        tenant: 'tenant-a',
        time: '2026-11-24T10:00:00.000Z',
        data: { machine: 'cnc-1', reason: 'tool change' },
      };
      await jetstream(nc).publish(
        `events.tenant-a.${service}.machine.stopped.v1`,
        JSON.stringify(event),
      );
      // Another tenant's event of the same service never reaches this sink.
      await jetstream(nc).publish(`events.tenant-b.${service}.machine.stopped.v1`, '{}');
      await waitFor('the event on the broker', async () => received.length >= 1);
      await new Promise((done) => setTimeout(done, 500));
      expect(received).toEqual([
        { topic: `${root}/tenant-a/${service}/machine.stopped.v1`, payload: event },
      ]);
    } finally {
      await listener.endAsync();
      await nc.close();
    }
  });

  it('does not publish to a broker on an internal address', async () => {
    const measurement = uniqueName('guarded');
    const created = await api.create(uniqueName('internal'), 'mqtt-sink', {
      ...broker(),
      url: 'mqtt://0.0.0.7:1883',
      source: { filter: measurement, from: 'all' },
      topic: 'testbed/{measurement}',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await waitForSinkConsumer(id);
    const written = await fetch(`${ingest.baseUrl}/v1/points`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ points: [{ measurement, fields: { v: 1 } }] }),
    });
    expect(written.status).toBeLessThan(300);
    await waitFor('failing', async () => (await api.status(id)).state === 'failing');
    expect((await api.status(id)).lastError).toBe(
      'cannot connect to mqtt://0.0.0.7:1883: 0.0.0.7 is an internal address the platform does not call for tenants (an operator may allow it in OUTBOUND_ALLOWED_CIDRS)',
    );
    expect((await api.status(id)).recordsRead).toBe(0);
  });

  it('retries what the broker refuses (PUBACK 135) and dead-letters it, nothing acked before', async () => {
    const measurement = uniqueName('refused');
    const created = await api.create(uniqueName('not-allowed'), 'mqtt-sink', {
      ...broker(),
      source: { filter: measurement, from: 'all', maxDeliveries: 2, retryDelaySeconds: 0.2 },
      // Outside testbed/#: the broker's ACL refuses it.
      topic: 'elsewhere/{measurement}',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await waitForSinkConsumer(id);
    const written = await fetch(`${ingest.baseUrl}/v1/points`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        points: [{ measurement, fields: { v: 1 }, time: '2026-11-24T10:00:00Z' }],
      }),
    });
    expect(written.status).toBeLessThan(300);
    await waitFor('a dead letter', async () => (await api.status(id)).deadLettered === 1);
    const status = await api.status(id);
    expect(status.state).toBe('failing');
    expect(status.lastError).toMatch(/Not authorized/);
    expect(status.lastDeadLetter.reason).toMatch(/^2 deliveries failed: .*Not authorized/);
    expect(status.recordsRead).toBe(0);
  });
});
