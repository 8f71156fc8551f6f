import { resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import mqtt, { type MqttClient } from 'mqtt';
import { FieldTypesBucket } from '@iotwins/messaging';
import {
  repoRoot,
  requireEnv,
  startAppProcess,
  tokens,
  uniqueName,
  waitFor,
  type AppProcess,
} from '@iotwins/testing';

/**
 * Every acknowledgement keeps its word (issue 11, ingest half): what ingest acknowledges is
 * what InfluxDB stores, checked through two ingest replicas, the timeseries writer and the
 * query API against the real servers.
 */
describe('ingest acknowledgements mean stored, as InfluxDB would answer', () => {
  let ingest: AppProcess;
  let replica: AppProcess;
  let timeseries: AppProcess;
  let token: string;

  beforeAll(async () => {
    [ingest, replica, timeseries] = await Promise.all([
      startAppProcess('ingest'),
      startAppProcess('ingest', { MQTT_ENABLED: 'false', GRPC_ENABLED: 'false' }),
      startAppProcess('timeseries'),
    ]);
    token = await tokens.gatewayA();
  }, 120_000);
  afterAll(async () => {
    await Promise.all([ingest?.stop(), replica?.stop(), timeseries?.stop()]);
  });

  const write = (body: string | Buffer, app: AppProcess = ingest, query = 'db=tenant-a') =>
    fetch(`${app.baseUrl}/write?${query}`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
    });

  interface SeriesOut {
    tags: Record<string, string>;
    points: { time: string; fields: Record<string, unknown> }[];
  }
  const query = async (measurement: string): Promise<SeriesOut[]> => {
    const response = await fetch(
      `${timeseries.baseUrl}/v1/measurements/${encodeURIComponent(measurement)}/points?start=2000-01-01T00:00:00Z&end=2100-01-01T00:00:00Z`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(response.status).toBe(200);
    return ((await response.json()) as { series: SeriesOut[] }).series;
  };
  const count = (series: SeriesOut[]): number =>
    series.reduce((sum, one) => sum + one.points.length, 0);
  /** Waits for `expected` points, then checks no more arrive. */
  const stored = async (measurement: string, expected: number): Promise<SeriesOut[]> => {
    let series: SeriesOut[] = [];
    await waitFor(`${expected} points of ${measurement}`, async () => {
      series = await query(measurement);
      return count(series) >= expected;
    });
    await new Promise((done) => setTimeout(done, 1_000));
    return query(measurement);
  };
  const conflict = (field: string, measurement: string, input: string, existing: string) =>
    `field type conflict: input field "${field}" on measurement "${measurement}" is type ${input}, already exists as type ${existing}`;

  describe('field types (item 1)', () => {
    it('refuses, before the 2xx, a line whose type conflicts with an earlier line', async () => {
      const m = uniqueName('ftype');
      const response = await write(`${m} v=1i 1700000000000000000\n${m} v=2 1700000000000000001`);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { written: number; errors: unknown[]; error: string };
      expect(body).toMatchObject({
        written: 1,
        errors: [{ line: 2, detail: conflict('v', m, 'float', 'integer') }],
      });
      expect(body.error).toContain(conflict('v', m, 'float', 'integer'));
      expect(await stored(m, 1)).toEqual([
        {
          tags: {},
          points: [
            {
              time: '2023-11-14T22:13:20.000000000Z',
              fields: { v: { type: 'integer', value: 1 } },
            },
          ],
        },
      ]);
    });

    it('refuses a later request, on another replica, that conflicts with what is stored', async () => {
      const m = uniqueName('ftype-later');
      expect((await write(`${m} v=1i 1700000000000000000`)).status).toBe(204);
      const response = await write(
        `${m} v=2.5 1700000000000000001\n${m} w=true 1700000000000000002`,
        replica,
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        written: 1,
        errors: [{ line: 1, detail: conflict('v', m, 'float', 'integer') }],
      });
      const json = await fetch(`${replica.baseUrl}/v1/points`, {
        method: 'POST',
        body: JSON.stringify({ points: [{ measurement: m, fields: { v: 'text' } }] }),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      expect(json.status).toBe(400);
      expect(await json.json()).toMatchObject({
        errors: [{ index: 0, detail: conflict('v', m, 'string', 'integer') }],
      });
      expect(count(await stored(m, 2))).toBe(2);
    });

    it('lets exactly one of two concurrent requests of different types win, on two replicas', async () => {
      const measurements = Array.from({ length: 8 }, () => uniqueName('ftype-race'));
      const outcomes = await Promise.all(
        measurements.map(async (m) => {
          const [integer, float] = await Promise.all([
            write(`${m} v=1i 1700000000000000000`, ingest),
            write(`${m} v=1.5 1700000000000000001`, replica),
          ]);
          return { m, statuses: [integer.status, float.status].sort() };
        }),
      );
      for (const { statuses } of outcomes) expect(statuses).toEqual([204, 400]);
      for (const { m } of outcomes) expect(count(await stored(m, 1))).toBe(1);
    });
  });

  it('knows the field types InfluxDB already holds, seeded by timeseries', async () => {
    const m = uniqueName('ftype-seeded');
    // Written straight to InfluxDB, as data from before the registry existed.
    const influx = await fetch(
      `${requireEnv('INFLUX_URL')}/write?db=iotwins_tenant-a&u=${encodeURIComponent(requireEnv('INFLUX_USER'))}&p=${encodeURIComponent(requireEnv('INFLUX_PASSWORD'))}`,
      { method: 'POST', body: `${m} v=1i 1700000000000000000` },
    );
    expect(influx.status).toBe(204);
    const nc = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
    });
    const seeder = await startAppProcess('timeseries', { TIMESERIES_WRITER_ENABLED: 'false' });
    try {
      const registry = await FieldTypesBucket.open(nc);
      await waitFor(`${m} seeded`, async () => (await registry.get('tenant-a', m)).v === 'integer');
    } finally {
      await seeder.stop();
      await nc.close();
    }
    const response = await write(`${m} v=1.5 1700000000000000001`, replica);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      errors: [{ line: 1, detail: conflict('v', m, 'float', 'integer') }],
    });
  });

  describe('server timestamps (item 2)', () => {
    it('stores all of 50 concurrent untimestamped writes to one series, in nanoseconds', async () => {
      const m = uniqueName('stamps');
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) => write(`${m},s=one v=${i}`, i % 2 ? replica : ingest)),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(50).fill(204));
      const series = await stored(m, 50);
      const times = series[0]!.points.map((point) => point.time);
      expect(new Set(times).size).toBe(50);
      expect(new Set(series[0]!.points.map((point) => point.fields.v)).size).toBe(50);
      // Nanosecond stamps: not every one is a whole millisecond.
      expect(times.some((time) => !/\.\d{3}000000Z$/.test(time))).toBe(true);
    });
  });

  /** A gateway connected to ingest's own MQTT endpoint with its Keycloak client id and secret. */
  const device = (secret = requireEnv('KEYCLOAK_GATEWAY_TENANT_A_SECRET')): Promise<MqttClient> =>
    mqtt.connectAsync(`mqtt://127.0.0.1:${ingest.mqttPort}`, {
      username: 'gateway-tenant-a',
      password: secret,
      protocolVersion: 5,
      reconnectPeriod: 0,
    });

  interface Puback {
    cmd: 'puback';
    messageId: number;
    reasonCode?: number;
    properties?: { reasonString?: string };
  }
  /** Publishes with QoS 1 and answers the PUBACK the endpoint sent (MQTT.js resolves with the PUBLISH). */
  const publish = async (client: MqttClient, topic: string, payload: string): Promise<Puback> => {
    const acks: Puback[] = [];
    const listener = (packet: { cmd: string }): void => {
      if (packet.cmd === 'puback') acks.push(packet as Puback);
    };
    client.on('packetreceive', listener);
    try {
      const sent = await client
        .publishAsync(topic, payload, { qos: 1 })
        .catch((error: unknown) => error as { messageId?: number });
      const messageId = (sent as { messageId?: number } | undefined)?.messageId;
      const ack = acks.find((one) => messageId === undefined || one.messageId === messageId);
      if (!ack) throw new Error(`no PUBACK for ${topic}`);
      return ack;
    } finally {
      client.off('packetreceive', listener);
    }
  };

  describe('an MQTT acknowledgement that means stored (item 3)', () => {
    it('sends the PUBACK only once the message is in JetStream', async () => {
      const m = uniqueName('mqtt-acked');
      // A durable consumer of this measurement only: with interest retention the stream keeps
      // the message for it, so its pending count shows whether JetStream holds the message.
      const nc = await connect({
        servers: requireEnv('NATS_URL'),
        user: 'dev',
        pass: requireEnv('NATS_DEV_PASSWORD'),
      });
      const jsm = await jetstreamManager(nc);
      const durable = uniqueName('puback-witness').replace(/[^A-Za-z0-9_-]/g, '_');
      await jsm.consumers.add('TELEMETRY', {
        durable_name: durable,
        filter_subject: `telemetry.tenant-a.${m}`,
        ack_policy: 'explicit' as never,
      });
      const client = await device();
      try {
        for (let i = 0; i < 5; i++) {
          const ack = await publish(
            client,
            `iotwins/tenant-a/telemetry/${m}`,
            JSON.stringify({ fields: { v: i }, time: 1_700_000_000_000 + i }),
          );
          expect(ack.reasonCode ?? 0).toBe(0);
          // Asked right after the PUBACK, before anything else could happen: already stored.
          const info = await jsm.consumers.info('TELEMETRY', durable);
          expect(info.num_pending + info.num_ack_pending).toBe(i + 1);
        }
      } finally {
        await client.endAsync();
        await jsm.consumers.delete('TELEMETRY', durable);
        await nc.close();
      }
      expect(count(await stored(m, 5))).toBe(5);
    });

    it('answers a malformed payload with reason 0x99 and stores nothing', async () => {
      const m = uniqueName('mqtt-bad');
      const client = await device();
      try {
        for (const payload of ['{"fields":', `${m} v=`, '{"fields":{"v":1},"time":"soon"}']) {
          const error = await client
            .publishAsync(`iotwins/tenant-a/telemetry/${m}`, payload, { qos: 1 })
            .then(
              () => undefined,
              (failure: { code?: number; message: string }) => failure,
            );
          expect(error).toMatchObject({ code: 0x99 });
        }
        const other = await client
          .publishAsync('iotwins/tenant-b/telemetry/x', 'x v=1', { qos: 1 })
          .then(
            () => undefined,
            (failure: { code?: number }) => failure,
          );
        expect(other).toMatchObject({ code: 0x87 });
        const conflict = await publish(
          client,
          `iotwins/tenant-a/telemetry/${m}`,
          `${m} v=1i 1700000000000000000`,
        );
        expect(conflict.reasonCode ?? 0).toBe(0);
        const typed = await client
          .publishAsync(`iotwins/tenant-a/telemetry/${m}`, `${m} v=1.5 1700000000000000001`, {
            qos: 1,
          })
          .then(
            () => undefined,
            (failure: { code?: number }) => failure,
          );
        expect(typed).toMatchObject({ code: 0x99 });
      } finally {
        await client.endAsync();
      }
      expect(count(await stored(m, 1))).toBe(1);
    });

    it('refuses a gateway whose secret Keycloak does not accept', async () => {
      const error = await device('not-the-secret').then(
        (client) => client.endAsync().then(() => undefined),
        (failure: { code?: number }) => failure,
      );
      expect(error).toMatchObject({ code: 0x86 });
    });
  });

  describe('line protocol as InfluxDB 1.x reads it (item 6)', () => {
    it('answers 204 to an empty or comment-only body', async () => {
      expect((await write('')).status).toBe(204);
      expect((await write('# nothing here\n\n')).status).toBe(204);
    });

    it('takes several spaces, keeps the last of repeated fields and the good lines around a bad byte', async () => {
      const m = uniqueName('lp-rules');
      const body = Buffer.concat([
        Buffer.from(`${m}      v=1.0,v=7     1700000000000000000\n${m} v=`),
        Buffer.from([0xff]),
        Buffer.from(
          ` 1700000000000000001\n${m} v=3 1700000000000000002\u000b\n${m} v=4 1700000000000000003`,
        ),
      ]);
      const response = await write(body);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        written: 2,
        errors: [
          { line: 2, detail: 'the line is not valid UTF-8' },
          { line: 3, detail: expect.any(String) },
        ],
      });
      const series = await stored(m, 2);
      expect(series[0]!.points.map((point) => point.fields.v)).toEqual([7, 4]);
    });

    const crashing = ['0 \\\\="="', 'm \\0=","=3,"="'];

    it('refuses the lines that crash InfluxDB on HTTP, keeping the good line', async () => {
      const m = uniqueName('crash-http');
      const response = await write([...crashing, `${m} v=1 1700000000000000000`].join('\n'));
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        written: 1,
        errors: [{ line: 1 }, { line: 2 }],
      });
      expect(count(await stored(m, 1))).toBe(1);
    });

    it('refuses them on gRPC', async () => {
      const m = uniqueName('crash-grpc');
      const definition = protoLoader.loadSync(
        resolve(repoRoot, 'proto/iotwins/ingest/v1/ingest.proto'),
        {
          longs: String,
          defaults: true,
          oneofs: true,
          keepCase: true,
        },
      );
      const { Ingest } = (
        grpc.loadPackageDefinition(definition) as unknown as {
          iotwins: { ingest: { v1: { Ingest: grpc.ServiceClientConstructor } } };
        }
      ).iotwins.ingest.v1;
      const client = new Ingest(
        `127.0.0.1:${ingest.grpcPort}`,
        grpc.credentials.createInsecure(),
      ) as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${token}`);
      const answer = await new Promise<{ accepted: string; rejected: { item: number }[] }>(
        (done, fail) => {
          const call = client.Write(
            metadata,
            (error: Error | null, result: { accepted: string; rejected: { item: number }[] }) =>
              error ? fail(error) : done(result),
          ) as grpc.ClientWritableStream<unknown>;
          call.write({
            line_protocol: [...crashing, `${m} v=1 1700000000000000000`].join('\n'),
            precision: 'ns',
          });
          call.end();
        },
      );
      client.close();
      expect(answer.accepted).toBe('1');
      expect(answer.rejected.map((rejected) => rejected.item)).toEqual([1, 2]);
      expect(count(await stored(m, 1))).toBe(1);
    });

    it('refuses them on the MQTT endpoint with the PUBACK naming the refused lines', async () => {
      const m = uniqueName('crash-mqtt-endpoint');
      const client = await device();
      try {
        const ack = await publish(
          client,
          'iotwins/tenant-a/telemetry',
          [...crashing, `${m} v=1 1700000000000000000`].join('\n'),
        );
        expect(ack.reasonCode).toBe(0);
        expect(ack.properties?.reasonString).toMatch(/^stored 1; refused line 1: .+; line 2: .+/);
      } finally {
        await client.endAsync();
      }
      expect(count(await stored(m, 1))).toBe(1);
    });

    it('refuses them on MQTT through the broker bridge, storing the good line of the payload', async () => {
      const m = uniqueName('crash-mqtt');
      const client = await mqtt.connectAsync(requireEnv('MQTT_URL'), {
        username: 'gateway-tenant-a',
        password: requireEnv('MQTT_GATEWAY_TENANT_A_PASSWORD'),
        protocolVersion: 5,
      });
      try {
        await client.publishAsync(
          'iotwins/tenant-a/telemetry',
          [...crashing, `${m} v=1 1700000000000000000`].join('\n'),
          {
            qos: 1,
          },
        );
      } finally {
        await client.endAsync();
      }
      expect(count(await stored(m, 1))).toBe(1);
      expect((await fetch(`${ingest.baseUrl}/health/live`)).status).toBe(200);
    });
  });

  describe('hostile input and InfluxDB answers (items 7, 8)', () => {
    it('answers 400, not 5xx, to JSON nested 50,000 deep', async () => {
      const response = await fetch(`${ingest.baseUrl}/v1/points`, {
        method: 'POST',
        body: '{"points":' + '['.repeat(50_000) + ']'.repeat(50_000) + '}',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ type: 'urn:iotwins:problem:invalid-json' });
      // The same parser serves every app's JSON routes, timeseries' retention among them.
      const retention = await fetch(`${timeseries.baseUrl}/v1/tenants/tenant-a/retention`, {
        method: 'PUT',
        body: '{"duration":' + '['.repeat(50_000) + ']'.repeat(50_000) + '}',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      expect(retention.status).toBe(400);
      expect(await retention.json()).toMatchObject({ type: 'urn:iotwins:problem:invalid-json' });
    });

    it('answers 400 to a bad or over-long db and to ?tenant=bad.tenant', async () => {
      for (const query of ['db=bad.tenant', `db=${'t'.repeat(300)}`]) {
        const response = await write('m v=1', ingest, query);
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({
          type: 'urn:iotwins:problem:invalid-tenant',
          error: expect.stringContaining('database name'),
        });
      }
      const response = await fetch(`${ingest.baseUrl}/v1/points?tenant=bad.tenant`, {
        method: 'POST',
        body: JSON.stringify({ points: [{ measurement: 'm', fields: { v: 1 } }] }),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      expect(response.status).toBe(400);
    });

    it("gives 401 bodies InfluxDB's error member", async () => {
      const missing = await fetch(`${ingest.baseUrl}/write?db=tenant-a`, {
        method: 'POST',
        body: 'm v=1',
      });
      expect(missing.status).toBe(401);
      expect(await missing.json()).toMatchObject({ error: expect.stringMatching(/.+/) });
      const bad = await fetch(`${ingest.baseUrl}/api/v2/write?bucket=tenant-a`, {
        method: 'POST',
        body: 'm v=1',
        headers: { authorization: 'Bearer not-a-token' },
      });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toMatchObject({
        error: expect.stringMatching(/^authorization failed/),
      });
    });
  });

  describe('readiness (item 10)', () => {
    it('is ready without Redis and the MQTT broker, and says they are unreachable', async () => {
      const alone = await startAppProcess('ingest', {
        REDIS_URL: 'redis://127.0.0.1:1',
        MQTT_URL: 'mqtt://127.0.0.1:1',
        GRPC_ENABLED: 'false',
      });
      try {
        const response = await fetch(`${alone.baseUrl}/health/ready`);
        expect(response.status).toBe(200);
        const body = (await response.json()) as {
          details: Record<string, Record<string, unknown>>;
        };
        expect(body.details.nats).toMatchObject({ status: 'up' });
        expect(body.details.redis).toMatchObject({ required: false, reachable: false });
        expect(body.details.mqtt).toMatchObject({ required: false, reachable: false });
        const metrics = await (await fetch(`${alone.baseUrl}/metrics`)).text();
        expect(metrics).toMatch(/ingest_redis_connected\{app="ingest"\} 0/);
        expect(metrics).toMatch(/ingest_mqtt_connected\{app="ingest"\} 0/);
        expect(metrics).toMatch(/build_info\{version="[^"]+",node="v\d+/);
      } finally {
        await alone.stop();
      }
    });
  });
});
