import { connect as connectTcp } from 'node:net';
import { resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { encodeSubjectToken } from '@iotwins/messaging';
import {
  repoRoot,
  requireEnv,
  startAppProcess,
  tokens,
  uniqueName,
  waitFor,
  type AppProcess,
} from '@iotwins/testing';
import { residentMiB, startPrivateNats, type PrivateNats } from './telemetry-limits.fixture';

const NS = 1_795_514_400_000_000_000n;
const MAX_LISTED_ERRORS = 100;

/**
 * One tenant's hostile telemetry stays its own (issue 19, item 5 and "acknowledged, then
 * lost"): every answer is bounded, limits hold while reading, and a 2xx is given only for
 * what InfluxDB 1.13 stores, on every path. Ingest runs as a process of this spec on a NATS
 * server of its own, so no other session's ingest receives these requests.
 */
describe('telemetry limits: answers, reading and InfluxDB rules', () => {
  let nats: PrivateNats;
  let ingest: AppProcess;
  let tokenA: string;
  let tokenB: string;
  let tenantA: NatsConnection;

  beforeAll(async () => {
    nats = await startPrivateNats();
    // MQTT_ENABLED is the bridge from the shared broker: off, as it would join its group.
    ingest = await startAppProcess('ingest', { NATS_URL: nats.url, MQTT_ENABLED: 'false' });
    [tokenA, tokenB] = await Promise.all([tokens.gatewayA(), tokens.gatewayB()]);
    tenantA = await connect({ servers: nats.url, token: tokenA, inboxPrefix: '_INBOX_tenant-a' });
  }, 180_000);
  afterAll(async () => {
    await tenantA?.close();
    await ingest?.stop();
    await nats?.stop();
  });

  const alive = (): void => {
    expect({ exitCode: ingest.process.exitCode, signal: ingest.process.signalCode }).toEqual({
      exitCode: null,
      signal: null,
    });
  };
  const timed = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
    const started = performance.now();
    const result = await run();
    return [result, Math.round(performance.now() - started)];
  };
  const post = (path: string, body: string | Buffer, token = tokenA, type = 'text/plain') =>
    fetch(`${ingest.baseUrl}${path}`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
    });
  const write = (body: string | Buffer, token = tokenA, db = 'tenant-a') =>
    post(`/write?db=${db}`, body, token);
  /** Tenant B's ordinary write: its status and how long it took, in ms. */
  const witness = async (): Promise<[number, number]> => {
    const [response, ms] = await timed(() =>
      write(`${uniqueName('witness')} v=1 ${NS}`, tokenB, 'tenant-b'),
    );
    return [response.status, ms];
  };
  const live = async (): Promise<[number, number]> => {
    const [response, ms] = await timed(() => fetch(`${ingest.baseUrl}/health/live`));
    return [response.status, ms];
  };
  const natsRequest = async (measurement: string, body: string, contentType = 'text/plain') => {
    const h = headers();
    h.set('Content-Type', contentType);
    const reply = await tenantA.request(
      `ingest.tenant-a.${encodeSubjectToken(measurement)}`,
      body,
      { timeout: 30_000, headers: h },
    );
    return { bytes: reply.data.length, answer: reply.json<Record<string, unknown>>() };
  };

  describe('no answer outgrows its transport, and none ends the process', () => {
    it('answers a NATS request of 30,000 bad lines with a bounded reply and stays up', async () => {
      const [{ bytes, answer }, ms] = await timed(() =>
        natsRequest(uniqueName('nats-bad'), 'x\n'.repeat(30_000)),
      );
      expect(answer).toMatchObject({ status: 400, written: 0, errorCount: 30_000 });
      expect(answer.errors).toHaveLength(MAX_LISTED_ERRORS);
      expect(bytes).toBeLessThan(64 * 1024);
      alive();
      expect((await live())[0]).toBe(200);
      expect((await witness())[0]).toBe(204);
      console.info(`30,000 bad lines over NATS: answered in ${ms} ms, reply ${bytes} bytes`);
    });

    it('answers 10,000 field-type conflicts over NATS the same way', async () => {
      const m = uniqueName('nats-conflict');
      expect((await natsRequest(m, `${m} v=1i ${NS}`)).answer).toEqual({ accepted: 1 });
      const lines = Array.from({ length: 10_000 }, (_, i) => `${m} v=1.5 ${NS + BigInt(i)}`);
      const { bytes, answer } = await natsRequest(m, lines.join('\n'));
      expect(answer).toMatchObject({ status: 400, written: 0, errorCount: 10_000 });
      expect(answer.errors).toHaveLength(MAX_LISTED_ERRORS);
      expect(bytes).toBeLessThan(64 * 1024);
      alive();
      expect((await witness())[0]).toBe(204);
    });

    it('lists at most 100 refused points of a JSON body over HTTP and NATS', async () => {
      const points = { points: Array.from({ length: 5_000 }, () => ({ fields: {} })) };
      const response = await post('/v1/points', JSON.stringify(points), tokenA, 'application/json');
      expect(response.status).toBe(400);
      const body = (await response.json()) as { errors: unknown[]; errorCount: number };
      expect(body.errors).toHaveLength(MAX_LISTED_ERRORS);
      expect(body.errorCount).toBe(5_000);
      const { answer } = await natsRequest(
        uniqueName('nats-json'),
        JSON.stringify(points),
        'application/json',
      );
      expect(answer).toMatchObject({ status: 400, errorCount: 5_000 });
      expect(answer.errors).toHaveLength(MAX_LISTED_ERRORS);
    });
  });

  describe('limits enforced while reading', () => {
    it('refuses a 16 MiB /write body of "x\\n" promptly, /health/live answering meanwhile', async () => {
      const body = Buffer.from('x\n'.repeat(8 * 1024 * 1024));
      const writing = timed(() => write(body));
      await new Promise((done) => setTimeout(done, 200));
      const [liveStatus, liveMs] = await live();
      const [response, ms] = await writing;
      expect(response.status).toBe(413);
      const problem = (await response.json()) as { type: string };
      expect(problem.type).toBe('urn:iotwins:problem:too-many-points');
      expect(liveStatus).toBe(200);
      // Measured about 0.3 s here (2 busy cores); before, about 2 minutes.
      expect(ms).toBeLessThan(5_000);
      expect(liveMs).toBeLessThan(3_000);
      alive();
      console.info(`16 MiB of "x\\n": 413 in ${ms} ms; /health/live meanwhile in ${liveMs} ms`);
    });

    it('refuses a 1 MB line of 100,000 fields in well under a second', async () => {
      const m = uniqueName('wide');
      const fields = Array.from({ length: 100_000 }, (_, i) => `f${i}=1`).join(',');
      const [response, ms] = await timed(() => write(`${m} ${fields} ${NS}`));
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        errors: [{ line: 1, detail: 'more than 200 fields: the limit is 200' }],
      });
      // Measured about 20 ms; before, 11 to 19 s.
      expect(ms).toBeLessThan(2_000);
      console.info(`100,000 fields in one line: 400 in ${ms} ms`);
    });

    it('refuses a 50 MB MQTT PUBLISH from its header, without buffering it', async () => {
      const socket = connectTcp(ingest.mqttPort, '127.0.0.1');
      const parser = mqttPacket.parser({ protocolVersion: 5 });
      const packets: Packet[] = [];
      parser.on('packet', (packet: Packet) => packets.push(packet));
      socket.on('data', (chunk) => parser.parse(chunk));
      socket.on('error', () => undefined); // the server ends the connection mid-write
      const closed = new Promise<void>((done) => socket.once('close', () => done()));
      socket.write(
        mqttPacket.generate(
          {
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 5,
            clean: true,
            clientId: uniqueName('big-publish'),
            keepalive: 60,
            username: 'gateway-tenant-a',
            password: Buffer.from(requireEnv('KEYCLOAK_GATEWAY_TENANT_A_SECRET')),
          },
          { protocolVersion: 5 },
        ),
      );
      await waitFor('CONNACK', async () => packets.some((packet) => packet.cmd === 'connack'));
      const connack = packets.find((packet) => packet.cmd === 'connack') as {
        reasonCode: number;
        properties?: { maximumPacketSize?: number };
      };
      expect(connack.reasonCode).toBe(0);
      expect(connack.properties?.maximumPacketSize).toBe(1024 * 1024);

      const baseline = await witness();
      const before = residentMiB(ingest.process.pid!);
      const publish = mqttPacket.generate(
        {
          cmd: 'publish',
          topic: 'iotwins/tenant-a/telemetry',
          payload: Buffer.from('x\n'.repeat(25 * 1024 * 1024)),
          qos: 1,
          messageId: 1,
          dup: false,
          retain: false,
        },
        { protocolVersion: 5 },
      );
      expect(publish.length).toBeGreaterThan(50 * 1024 * 1024);
      // Tenant B writes every 50 ms while the PUBLISH streams in.
      const latencies: number[] = [];
      let sending = true;
      const witnessing = (async () => {
        while (sending) {
          const [status, ms] = await witness();
          expect(status).toBe(204);
          latencies.push(ms);
          await new Promise((done) => setTimeout(done, 50));
        }
      })();
      socket.write(publish);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        closed,
        new Promise((_, fail) => {
          timer = setTimeout(() => fail(new Error('not disconnected')), 30_000);
        }),
      ]).finally(() => clearTimeout(timer));
      await new Promise((done) => setTimeout(done, 500));
      sending = false;
      await witnessing;
      const after = residentMiB(ingest.process.pid!);

      expect(packets.find((packet) => packet.cmd === 'disconnect')).toMatchObject({
        reasonCode: 0x95,
      });
      alive();
      // 50 MB buffered would show as 50+ MiB at least (it was ~4 GB before the fix).
      expect(after - before).toBeLessThan(40);
      expect(Math.max(...latencies)).toBeLessThan(1_000);
      console.info(
        `50 MB PUBLISH: DISCONNECT 0x95; ingest RSS ${before} -> ${after} MiB; tenant B writes ` +
          `${latencies.length}, max ${Math.max(...latencies)} ms (alone: ${baseline[1]} ms)`,
      );
    });
  });

  describe('a 2xx only for what InfluxDB 1.13 stores', () => {
    const influxAuth = `Basic ${Buffer.from(`${requireEnv('INFLUX_USER')}:${requireEnv('INFLUX_PASSWORD')}`).toString('base64')}`;
    const influx = (path: string, body: URLSearchParams | string) =>
      fetch(`${requireEnv('INFLUX_URL')}${path}`, {
        method: 'POST',
        body,
        headers: { authorization: influxAuth },
      });
    /** 64 tags within every platform limit, the series key `keyBytes` long with `measurement`. */
    const tagsFor = (measurement: string, keyBytes: number): string => {
      const key = (i: number) => `t${String(i).padStart(2, '0')}`.padEnd(256, 'k');
      let rest = keyBytes - Buffer.byteLength(measurement) - 64 * 258;
      const values = Array.from({ length: 64 }, (_, i) => {
        const length = Math.min(1024, rest - (63 - i));
        rest -= length;
        return length;
      });
      expect(rest).toBe(0);
      return values.map((length, i) => `,${key(i)}=${'v'.repeat(length)}`).join('');
    };
    const lines: Record<string, (m: string) => string> = {
      plusFloat: (m) => `${m} v=+1.5 ${NS}`,
      plusInteger: (m) => `${m} v=+1i ${NS}`,
      plusWhole: (m) => `${m} v=+2 ${NS}`,
      plusExponent: (m) => `${m} v=+1e3 ${NS}`,
      // 65,531 bytes of key + "#!~#" + "v": 65,536, one past InfluxDB's MaxKeyLength.
      keyTooLong: (m) => `${m}${tagsFor(m, 65_531)} v=1 ${NS}`,
      keyAtLimit: (m) => `${m}${tagsFor(m, 65_530)} v=1 ${NS}`,
      minus: (m) => `${m} v=-1.5 ${NS}`,
      exponentSign: (m) => `${m} a=1e+3,b=1E-3 ${NS}`,
      dots: (m) => `${m} a=.5,b=-.5,c=1. ${NS}`,
      integers: (m) => `${m} a=007i,b=-7i ${NS}`,
    };
    const refused = ['plusFloat', 'plusInteger', 'plusWhole', 'plusExponent', 'keyTooLong'];

    it('answers /write as InfluxDB itself answers the same lines', async () => {
      const db = uniqueName('telemetry_limits').replace(/-/g, '_');
      await influx('/query', new URLSearchParams({ q: `CREATE DATABASE "${db}"` }));
      try {
        const answers: Record<string, [number, number]> = {};
        for (const [name, line] of Object.entries(lines)) {
          const m = uniqueName(name);
          const direct = await influx(`/write?db=${db}`, line(m));
          const platform = await write(line(m));
          answers[name] = [direct.status, platform.status];
        }
        for (const [name, [direct, platform]] of Object.entries(answers)) {
          expect({ name, direct, platform }).toEqual({
            name,
            direct: refused.includes(name) ? 400 : 204,
            platform: refused.includes(name) ? 400 : 204,
          });
        }
      } finally {
        await influx('/query', new URLSearchParams({ q: `DROP DATABASE "${db}"` }));
      }
    });

    it('refuses them on /api/v2/write, NATS and the MQTT endpoint', async () => {
      const client = await mqttDevice();
      try {
        for (const name of refused) {
          const m = uniqueName(name);
          const v2 = await post(`/api/v2/write?bucket=tenant-a`, lines[name]!(m));
          expect({ name, status: v2.status }).toEqual({ name, status: 400 });
          const { answer } = await natsRequest(m, lines[name]!(m));
          expect({ name, status: answer.status }).toEqual({ name, status: 400 });
          const ack = await client.publish('iotwins/tenant-a/telemetry', lines[name]!(m));
          expect({ name, reasonCode: ack }).toEqual({ name, reasonCode: 0x99 });
        }
      } finally {
        client.end();
      }
    });

    it('refuses the over-long series key as JSON, CSV, over NATS as JSON and over gRPC', async () => {
      const m = uniqueName('key-json');
      const tags = Object.fromEntries(
        tagsFor(m, 65_531)
          .slice(1)
          .split(',')
          .map((tag) => tag.split('=')),
      );
      const point = { measurement: m, tags, fields: { v: 1 }, time: 1_795_514_400_000 };
      const json = await post(
        '/v1/points',
        JSON.stringify({ points: [point] }),
        tokenA,
        'application/json',
      );
      expect(json.status).toBe(400);
      expect(JSON.stringify(await json.json())).toContain('series key');
      const header = [
        'time',
        'measurement',
        ...Object.keys(tags).map((key) => `tag:${key}`),
        'field:v',
      ];
      const row = ['1795514400000', m, ...Object.values(tags), '1'];
      const csv = await post(
        '/v1/points/csv',
        `${header.join(',')}\n${row.join(',')}`,
        tokenA,
        'text/csv',
      );
      expect(csv.status).toBe(400);
      const { answer } = await natsRequest(m, JSON.stringify(point), 'application/json');
      expect(answer).toMatchObject({ status: 400 });
      const grpcAnswer = await grpcWrite(
        encodeWrite({
          points: {
            points: [
              {
                measurement: m,
                tags,
                fields: { v: { float_value: 1 } },
                time_unix_nano: String(NS),
              },
            ],
          },
        }),
      );
      expect(grpcAnswer).toMatchObject({ accepted: '0', rejected_count: '1' });
      expect(grpcAnswer.rejected[0]!.detail).toContain('series key');
    });
  });

  describe('gRPC refuses what is not UTF-8, as HTTP does', () => {
    it('refuses the line holding the bad bytes and keeps the others', async () => {
      const m = uniqueName('grpc-utf8');
      const request = corrupt(
        encodeWrite({ line_protocol: `${m},t=MARK v=1 ${NS}\n${m} v=2 ${NS}`, precision: 'ns' }),
        'MARK',
      );
      const answer = await grpcWrite(request);
      expect(answer).toMatchObject({ accepted: '1', rejected_count: '1' });
      expect(answer.rejected).toEqual([
        { batch: 0, item: 1, detail: 'the line is not valid UTF-8' },
      ]);
      // The same bytes on /write: the same answer.
      const http = await write(
        corrupt(Buffer.from(`${m},t=MARK v=1 ${NS}\n${m} v=2 ${NS}`), 'MARK'),
      );
      expect(await http.json()).toMatchObject({
        written: 1,
        errors: [{ line: 1, detail: 'the line is not valid UTF-8' }],
      });
    });

    it('refuses a typed point with a string that is not UTF-8', async () => {
      const m = uniqueName('grpc-utf8-point');
      const request = corrupt(
        encodeWrite({
          points: {
            points: [
              {
                measurement: m,
                tags: { site: 'MARK' },
                fields: { v: { float_value: 1 } },
                time_unix_nano: String(NS),
              },
            ],
          },
        }),
        'MARK',
      );
      const answer = await grpcWrite(request);
      expect(answer).toMatchObject({ accepted: '0', rejected_count: '1' });
      expect(answer.rejected).toEqual([{ batch: 0, item: 0, detail: 'a tag is not valid UTF-8' }]);
    });
  });

  describe('QoS 2 on the MQTT endpoint (stored once within the connection)', () => {
    it('sends PUBREC once stored, stores a resent PUBLISH once, completes on PUBREL', async () => {
      const m = uniqueName('qos2');
      const client = await mqttDevice();
      try {
        const payload = `${m} v=1`; // no time: a second copy would get a stamp of its own
        const first = await client.send(
          { cmd: 'publish', topic: 'iotwins/tenant-a/telemetry', payload, qos: 2, messageId: 7 },
          'pubrec',
        );
        expect(first.reasonCode ?? 0).toBe(0);
        // The device did not see the PUBREC and sends the message again, DUP set.
        const again = await client.send(
          {
            cmd: 'publish',
            topic: 'iotwins/tenant-a/telemetry',
            payload,
            qos: 2,
            messageId: 7,
            dup: true,
          },
          'pubrec',
        );
        expect(again.reasonCode ?? 0).toBe(0);
        expect(
          (await client.send({ cmd: 'pubrel', messageId: 7 }, 'pubcomp')).reasonCode ?? 0,
        ).toBe(0);
        // A PUBREL for an id not awaiting one: 0x92 Packet Identifier not found.
        expect((await client.send({ cmd: 'pubrel', messageId: 8 }, 'pubcomp')).reasonCode).toBe(
          0x92,
        );
        // A refused payload: PUBREC 0x99 ends the exchange, nothing awaits a PUBREL.
        const refused = await client.send(
          {
            cmd: 'publish',
            topic: 'iotwins/tenant-a/telemetry',
            payload: 'x',
            qos: 2,
            messageId: 9,
          },
          'pubrec',
        );
        expect(refused.reasonCode).toBe(0x99);
      } finally {
        client.end();
      }
      const nc = await connect({
        servers: nats.url,
        user: 'dev',
        pass: requireEnv('NATS_DEV_PASSWORD'),
      });
      try {
        const jsm = await jetstreamManager(nc);
        const subject = `telemetry.tenant-a.${encodeSubjectToken(m)}`;
        const info = await jsm.streams.info('TELEMETRY', { subjects_filter: subject });
        expect(info.state.subjects).toEqual({ [subject]: 1 });
      } finally {
        await nc.close();
      }
    });
  });

  // --- gRPC and MQTT clients -------------------------------------------------------------

  const definition = protoLoader.loadSync(
    resolve(repoRoot, 'proto/iotwins/ingest/v1/ingest.proto'),
    { longs: String, defaults: true, oneofs: true, keepCase: true },
  );
  const { Ingest } = (
    grpc.loadPackageDefinition(definition) as unknown as {
      iotwins: { ingest: { v1: { Ingest: grpc.ServiceClientConstructor } } };
    }
  ).iotwins.ingest.v1;
  const encodeWrite = (request: object): Buffer => Ingest.service.Write!.requestSerialize(request);
  /** The same bytes with a marker made invalid UTF-8 (0xff), as a device with a bug sends. */
  const corrupt = (bytes: Buffer, marker: string): Buffer => {
    const at = bytes.indexOf(marker);
    expect(at).toBeGreaterThanOrEqual(0);
    const copy = Buffer.from(bytes);
    copy.fill(0xff, at, at + marker.length);
    return copy;
  };
  interface WriteAnswer {
    accepted: string;
    rejected_count: string;
    rejected: { batch: number; item: number; detail: string }[];
  }
  /** One Write call carrying one request, sent as raw bytes. */
  const grpcWrite = (request: Buffer): Promise<WriteAnswer> => {
    const client = new grpc.Client(
      `127.0.0.1:${ingest.grpcPort}`,
      grpc.credentials.createInsecure(),
    );
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${tokenA}`);
    return new Promise<WriteAnswer>((done, fail) => {
      const call = client.makeClientStreamRequest(
        '/iotwins.ingest.v1.Ingest/Write',
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => Ingest.service.Write!.responseDeserialize(bytes) as WriteAnswer,
        metadata,
        (error, answer) => (error || !answer ? fail(error) : done(answer)),
      );
      call.write(request);
      call.end();
    }).finally(() => client.close());
  };

  /** A device on the MQTT endpoint: publishes with QoS 1 and answers the PUBACK's reason. */
  const mqttDevice = async () => {
    const socket = connectTcp(ingest.mqttPort, '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const packets: (Packet & { messageId?: number; reasonCode?: number })[] = [];
    parser.on('packet', (packet: Packet) => packets.push(packet));
    socket.on('data', (chunk) => parser.parse(chunk));
    const send = (packet: object) =>
      socket.write(mqttPacket.generate(packet as Packet, { protocolVersion: 5 }));
    send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: true,
      clientId: uniqueName('limits-device'),
      keepalive: 60,
      username: 'gateway-tenant-a',
      password: Buffer.from(requireEnv('KEYCLOAK_GATEWAY_TENANT_A_SECRET')),
    });
    await waitFor('CONNACK', async () => packets.some((packet) => packet.cmd === 'connack'));
    let messageId = 0;
    return {
      /** Sends a packet and answers the first `answer` packet with its message id after it. */
      send: async (
        packet: { cmd: string; messageId: number } & Record<string, unknown>,
        answer: string,
      ): Promise<{ reasonCode?: number }> => {
        const from = packets.length;
        send({ dup: false, retain: false, ...packet });
        const match = (one: Packet & { messageId?: number }) =>
          one.cmd === answer && one.messageId === packet.messageId;
        await waitFor(answer, async () => packets.slice(from).some(match));
        return packets.slice(from).find(match)!;
      },
      publish: async (topic: string, payload: string): Promise<number> => {
        const id = ++messageId;
        send({ cmd: 'publish', topic, payload, qos: 1, messageId: id, dup: false, retain: false });
        await waitFor('PUBACK', async () =>
          packets.some((packet) => packet.cmd === 'puback' && packet.messageId === id),
        );
        return packets.find((packet) => packet.cmd === 'puback' && packet.messageId === id)!
          .reasonCode!;
      },
      end: () => socket.destroy(),
    };
  };
});
