import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import mqtt from 'mqtt';
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
 * The telemetry journey through the real apps (as processes) and servers: every ingest path
 * in, the query API out, compared value by value, type by type, to the nanosecond.
 */
describe('telemetry path: ingest -> JetStream -> timeseries -> InfluxDB -> query', () => {
  let ingest: AppProcess;
  let timeseries: AppProcess;
  let tokenA: string;
  let tokenB: string;

  beforeAll(async () => {
    [ingest, timeseries] = await Promise.all([
      startAppProcess('ingest'),
      startAppProcess('timeseries'),
    ]);
    [tokenA, tokenB] = await Promise.all([tokens.gatewayA(), tokens.gatewayB()]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([ingest?.stop(), timeseries?.stop()]);
  });

  const post = (
    path: string,
    body: string | Buffer,
    headers: Record<string, string>,
  ): Promise<Response> => fetch(`${ingest.baseUrl}${path}`, { method: 'POST', body, headers });

  interface SeriesOut {
    tags: Record<string, string>;
    points: { time: string; fields: Record<string, unknown> }[];
  }

  const query = async (token: string, measurement: string, params = ''): Promise<SeriesOut[]> => {
    const response = await fetch(
      `${timeseries.baseUrl}/v1/measurements/${encodeURIComponent(measurement)}/points?start=2026-01-01T00:00:00Z&end=2027-01-01T00:00:00Z${params}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(response.status).toBe(200);
    return ((await response.json()) as { series: SeriesOut[] }).series;
  };

  /**
   * Waits until the measurement holds `count` points and reads the same twice in a row:
   * InfluxDB can show a fresh point a moment before its field index lists every field.
   */
  const stored = async (
    token: string,
    measurement: string,
    count: number,
  ): Promise<SeriesOut[]> => {
    let series: SeriesOut[] = [];
    let previous = '';
    await waitFor(`${count} points of ${measurement}`, async () => {
      series = await query(token, measurement);
      const text = JSON.stringify(series);
      const stable = text === previous;
      previous = text;
      return stable && series.reduce((sum, s) => sum + s.points.length, 0) >= count;
    });
    return series;
  };

  /** A client of the ingest gRPC service, from the proto file in the repo. */
  const grpcClient = (): grpc.Client & Record<string, (...args: unknown[]) => unknown> => {
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
    return new Ingest(`127.0.0.1:${ingest.grpcPort}`, grpc.credentials.createInsecure()) as never;
  };

  it('keeps JSON points exactly: values, types, tags and nanosecond times', async () => {
    const measurement = uniqueName('json');
    const response = await post(
      '/v1/points',
      JSON.stringify({
        points: [
          {
            measurement,
            tags: { turbine: 'T-07', site: 'north sea' },
            fields: {
              power: 1520.25,
              running: true,
              state: 'generating',
              rpm: { type: 'integer', value: '9223372036854775807' },
              alarms: { type: 'uinteger', value: 3 },
            },
            time: '2026-11-24T10:00:00.123456789Z',
          },
        ],
      }),
      { authorization: `Bearer ${tokenA}`, 'content-type': 'application/json' },
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 1 });
    expect(await stored(tokenA, measurement, 1)).toEqual([
      {
        tags: { site: 'north sea', turbine: 'T-07' },
        points: [
          {
            time: '2026-11-24T10:00:00.123456789Z',
            fields: {
              // InfluxDB 1.x has no unsigned type: ingest keeps the value as an integer.
              alarms: { type: 'integer', value: 3 },
              power: 1520.25,
              rpm: { type: 'integer', value: '9223372036854775807' },
              running: true,
              state: 'generating',
            },
          },
        ],
      },
    ]);
  });

  it('refuses a JSON batch with an invalid point whole, listing each bad point', async () => {
    const measurement = uniqueName('json-bad');
    const response = await post(
      '/v1/points',
      JSON.stringify({
        points: [
          { measurement, fields: { v: 1 } },
          { measurement, fields: { v: 'x' }, time: 'yesterday' },
          { measurement, fields: {} },
        ],
      }),
      { authorization: `Bearer ${tokenA}`, 'content-type': 'application/json' },
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({
      type: 'urn:iotwins:problem:invalid-points',
      errors: [
        { index: 1, pointer: '/points/1/time' },
        { index: 2, pointer: '/points/2', detail: 'a point needs at least one field' },
      ],
    });
  });

  it('round-trips line protocol escapes and unicode through the v1 write endpoint', async () => {
    const measurement = uniqueName('lp esc,aped');
    const lpMeasurement = measurement.replace(/ /g, '\\ ').replace(/,/g, '\\,');
    const body = `${lpMeasurement},loc\\ ation=Zürich\\,\\ Hall\\=1 temp\\ °C=21.5,note="say \\"hi\\", path C:\\\\data ✓",ok=F,n=-42i 1795514400000000001`;
    const response = await post(`/write?db=tenant-a&precision=ns`, body, {
      authorization: `Bearer ${tokenA}`,
      'content-type': 'text/plain; charset=utf-8',
    });
    expect(response.status).toBe(204);
    expect(await stored(tokenA, measurement, 1)).toEqual([
      {
        tags: { 'loc ation': 'Zürich, Hall=1' },
        points: [
          {
            time: '2026-11-24T10:00:00.000000001Z',
            fields: {
              n: { type: 'integer', value: -42 },
              note: 'say "hi", path C:\\data ✓',
              ok: false,
              'temp °C': 21.5,
            },
          },
        ],
      },
    ]);
  });

  it('keeps the good lines of a batch with bad ones and lists each bad line', async () => {
    const measurement = uniqueName('partial');
    const body = [
      `${measurement} v=1 1795514400000000000`,
      `${measurement} v=oops 1795514400000000001`,
      `${measurement} v=3 1795514400000000002`,
      `${measurement}`,
    ].join('\n');
    const response = await post('/write?db=tenant-a', body, { authorization: `Bearer ${tokenA}` });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as {
      type: string;
      written: number;
      errors: unknown[];
      error: string;
    };
    expect(problem).toMatchObject({
      type: 'urn:iotwins:problem:partial-write',
      written: 2,
      errors: [
        { line: 2, detail: 'invalid value "oops" for field "v"' },
        { line: 4, detail: 'missing fields' },
      ],
    });
    expect(problem.error).toMatch(/^partial write: /);
    const series = await stored(tokenA, measurement, 2);
    expect(series[0]!.points.map((p) => p.fields.v)).toEqual([1, 3]);
  });

  it('stores every line of a large body, plain lines and rewritten ones, in several messages', async () => {
    const measurement = uniqueName('bulk');
    const total = 30_000;
    const base = 1_795_514_400_000_000_000n;
    // Mostly plain lines (kept as slices of the body), with lines that must be rewritten
    // (no timestamp, an unsigned value) or decoded (a string value) among them.
    const lines = Array.from({ length: total }, (_, i) => {
      const time = ` ${base + BigInt(i)}`;
      if (i % 1000 === 1) return `${measurement},host=h${i % 7} n=${i}i,s="line ${i}"${time}`;
      if (i % 1000 === 2) return `${measurement},host=h${i % 7} n=${i}u${time}`;
      return `${measurement},host=h${i % 7} n=${i}i,ok=t,v=${i / 4}${time}`;
    });
    const body = `${lines.join('\n')}\n`;
    expect(Buffer.byteLength(body)).toBeGreaterThan(2 * 512 * 1024);
    const response = await post('/write?db=tenant-a', body, { authorization: `Bearer ${tokenA}` });
    expect(response.status).toBe(204);
    let counted: SeriesOut[] = [];
    await waitFor(`${total} points of ${measurement}`, async () => {
      counted = await query(tokenA, measurement, '&aggregate=count&fields=n');
      return counted.reduce((sum, s) => sum + Number(s.points[0]?.fields.n ?? 0), 0) >= total;
    });
    expect(counted.reduce((sum, s) => sum + Number(s.points[0]?.fields.n ?? 0), 0)).toBe(total);
    // The first point of host h2 is line 3, whose unsigned value was rewritten as an integer.
    const sample = await query(tokenA, measurement, '&tag.host=h2&limit=1');
    expect(sample[0]!.points[0]).toEqual({
      time: '2026-11-24T10:00:00.000000002Z',
      fields: { n: { type: 'integer', value: 2 } },
    });
  });

  it('accepts exactly what Telegraf sends: v1 gzip with Basic credentials, v2 with a Token', async () => {
    const measurement = uniqueName('telegraf');
    const secret = requireEnv('KEYCLOAK_GATEWAY_TENANT_A_SECRET');
    const v1 = await post(
      '/write?db=tenant-a&rp=&precision=s&consistency=any',
      gzipSync(`${measurement},host=edge-1 cpu=12.5,mem=2048i 1795514400\n`),
      {
        authorization: `Basic ${Buffer.from(`gateway-tenant-a:${secret}`).toString('base64')}`,
        'content-type': 'text/plain; charset=utf-8',
        'content-encoding': 'gzip',
        'user-agent': 'Telegraf/1.30.0 Go/1.22.1',
      },
    );
    expect(v1.status).toBe(204);
    const v2 = await post(
      '/api/v2/write?org=iotwins&bucket=tenant-a&precision=ns',
      gzipSync(`${measurement},host=edge-2 cpu=7 1795514401000000000\n`),
      {
        authorization: `Token gateway-tenant-a:${secret}`,
        'content-type': 'text/plain; charset=utf-8',
        'content-encoding': 'gzip',
      },
    );
    expect(v2.status).toBe(204);
    const series = await stored(tokenA, measurement, 2);
    expect(series).toEqual([
      {
        tags: { host: 'edge-1' },
        points: [
          {
            time: '2026-11-24T10:00:00.000000000Z',
            fields: { cpu: 12.5, mem: { type: 'integer', value: 2048 } },
          },
        ],
      },
      {
        tags: { host: 'edge-2' },
        points: [{ time: '2026-11-24T10:00:01.000000000Z', fields: { cpu: 7 } }],
      },
    ]);
    // InfluxDB's own examples use curl --data-binary, which labels the body as a form.
    const curl = await post(
      '/write?db=tenant-a',
      `${measurement},host=edge-3 cpu=1 1795514402000000000`,
      {
        authorization: `Bearer ${tokenA}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
    );
    expect(curl.status).toBe(204);
    // The influx CLI and other Go clients ping first and send an empty Content-Type.
    const ping = await fetch(`${ingest.baseUrl}/ping`);
    expect(ping.status).toBe(204);
    expect(ping.headers.get('x-influxdb-version')).toMatch(/^1\./);
    const goClient = await post(
      '/write?consistency=all&db=tenant-a&precision=ns&rp=',
      `${measurement},host=edge-4 cpu=2\n`,
      {
        authorization: `Basic ${Buffer.from(`gateway-tenant-a:${secret}`).toString('base64')}`,
        'content-type': '',
        'user-agent': 'InfluxDBShell/1.6.7',
      },
    );
    expect(goClient.status).toBe(204);
    expect((await stored(tokenA, measurement, 4)).map((s) => s.tags.host)).toEqual([
      'edge-1',
      'edge-2',
      'edge-3',
      'edge-4',
    ]);
    const wrongSecret = await post('/write?db=tenant-a', `${measurement} v=1`, {
      authorization: `Basic ${Buffer.from('gateway-tenant-a:wrong').toString('base64')}`,
    });
    expect(wrongSecret.status).toBe(401);
  });

  it('reads CSV with typed columns, with or without the byte order mark spreadsheets write', async () => {
    const measurement = uniqueName('csv');
    const csv = [
      'time,tag:meter,field:voltage,field:phase:string,field:events:integer',
      '2026-11-24T10:00:00.5Z,pq-1,230.1,L1,4',
      '1795514401000,pq-1,229.9,L2,',
    ].join('\n');
    const withMark = await post(
      `/v1/points/csv?measurement=${encodeURIComponent(measurement)}`,
      `\uFEFF${csv}`,
      { authorization: `Bearer ${tokenA}`, 'content-type': 'text/csv' },
    );
    expect(withMark.status).toBe(202);
    const response = await post(
      `/v1/points/csv?measurement=${encodeURIComponent(measurement)}`,
      csv,
      {
        authorization: `Bearer ${tokenA}`,
        'content-type': 'text/csv',
      },
    );
    expect(response.status).toBe(202);
    expect(await stored(tokenA, measurement, 2)).toEqual([
      {
        tags: { meter: 'pq-1' },
        points: [
          {
            time: '2026-11-24T10:00:00.500000000Z',
            fields: { events: { type: 'integer', value: 4 }, phase: 'L1', voltage: 230.1 },
          },
          { time: '2026-11-24T10:00:01.000000000Z', fields: { phase: 'L2', voltage: 229.9 } },
        ],
      },
    ]);
  });

  it('bridges MQTT telemetry, JSON and line protocol, acknowledged after it is stored', async () => {
    const measurement = uniqueName('mqtt');
    const client = await mqtt.connectAsync(requireEnv('MQTT_URL'), {
      username: 'gateway-tenant-a',
      password: requireEnv('MQTT_GATEWAY_TENANT_A_PASSWORD'),
      protocolVersion: 5,
    });
    try {
      await client.publishAsync(
        `iotwins/tenant-a/telemetry/${measurement}`,
        JSON.stringify({
          tags: { line: '3' },
          fields: { health: 0.97 },
          time: '2026-11-24T10:00:00Z',
        }),
        { qos: 1 },
      );
      await client.publishAsync(
        'iotwins/tenant-a/telemetry',
        `${measurement},line=3 health=0.95 1795514401000000000`,
        { qos: 1 },
      );
    } finally {
      await client.endAsync();
    }
    expect(await stored(tokenA, measurement, 2)).toEqual([
      {
        tags: { line: '3' },
        points: [
          { time: '2026-11-24T10:00:00.000000000Z', fields: { health: 0.97 } },
          { time: '2026-11-24T10:00:01.000000000Z', fields: { health: 0.95 } },
        ],
      },
    ]);
  });

  it('takes a client-streaming gRPC Write with typed points and line protocol', async () => {
    const measurement = uniqueName('grpc');
    const client = grpcClient();
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${tokenA}`);
    const response = await new Promise<{ accepted: string; rejected: unknown[] }>((done, fail) => {
      const call = client.Write(
        metadata,
        (error: Error | null, answer: { accepted: string; rejected: unknown[] }) =>
          error ? fail(error) : done(answer),
      ) as grpc.ClientWritableStream<unknown>;
      call.write({
        points: {
          points: [
            {
              measurement,
              tags: { station: 'S1' },
              fields: {
                torque: { float_value: 812.5 },
                pieces: { int_value: '9007199254740993' },
                ok: { bool_value: true },
                step: { string_value: 'grinding' },
              },
              time_unix_nano: '1795514400000000007',
            },
          ],
        },
      });
      call.write({
        line_protocol: `${measurement},station=S2 torque=799 1795514401\n${measurement} bad`,
        precision: 's',
      });
      call.end();
    });
    client.close();
    expect(response).toEqual({
      accepted: '2',
      rejected: [{ batch: 1, item: 2, detail: 'missing fields' }],
      rejected_count: '1',
    });
    expect(await stored(tokenA, measurement, 2)).toEqual([
      {
        tags: { station: 'S1' },
        points: [
          {
            time: '2026-11-24T10:00:00.000000007Z',
            fields: {
              ok: true,
              pieces: { type: 'integer', value: '9007199254740993' },
              step: 'grinding',
              torque: 812.5,
            },
          },
        ],
      },
      {
        tags: { station: 'S2' },
        points: [{ time: '2026-11-24T10:00:01.000000000Z', fields: { torque: 799 } }],
      },
    ]);
  });

  it('refuses a gRPC stream without a valid token', async () => {
    const client = grpcClient();
    const error = await new Promise<grpc.ServiceError>((done) => {
      const call = client.Write(new grpc.Metadata(), (failure: grpc.ServiceError) =>
        done(failure),
      ) as grpc.ClientWritableStream<unknown>;
      call.end();
    });
    client.close();
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('dead-letters a batch InfluxDB refuses for good, with the reason, and moves on', async () => {
    const measurement = uniqueName('conflict');
    const nc = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
    });
    try {
      const deadLetters = nc.subscribe('deadletter.telemetry.tenant-a');
      // Written straight to InfluxDB, past ingest's field-type registry (as by a tool, or
      // before the registry was seeded): ingest cannot know the type and takes the float.
      const first = await fetch(
        `${requireEnv('INFLUX_URL')}/write?db=iotwins_tenant-a&u=${encodeURIComponent(requireEnv('INFLUX_USER'))}&p=${encodeURIComponent(requireEnv('INFLUX_PASSWORD'))}`,
        { method: 'POST', body: `${measurement} v=1i 1795514400000000000` },
      );
      expect(first.status).toBe(204);
      await stored(tokenA, measurement, 1);
      const second = await post('/write?db=tenant-a', `${measurement} v=2.5 1795514400000000001`, {
        authorization: `Bearer ${tokenA}`,
      });
      expect(second.status).toBe(204);
      let received: { body: string; reason: string | undefined } | undefined;
      for await (const message of deadLetters) {
        if (!message.string().startsWith(measurement)) continue;
        received = {
          body: message.string(),
          reason: message.headers?.get('Iotwins-Dead-Letter-Reason'),
        };
        break;
      }
      expect(received?.body).toBe(`${measurement} v=2.5 1795514400000000001`);
      expect(received?.reason).toMatch(/field type conflict/);
      const next = `${measurement}-next`;
      const after = await post('/write?db=tenant-a', `${next} v=3i 1795514400000000002`, {
        authorization: `Bearer ${tokenA}`,
      });
      expect(after.status).toBe(204);
      const series = await stored(tokenA, next, 1);
      expect(series[0]!.points.map((p) => p.fields.v)).toEqual([{ type: 'integer', value: 3 }]);
      expect((await stored(tokenA, measurement, 1))[0]!.points).toHaveLength(1);
    } finally {
      await nc.close();
    }
  });

  it('takes the tenant from the subject: a forged Iotwins-Tenant header moves no data', async () => {
    const forged = uniqueName('forged');
    const headerless = uniqueName('headerless');
    // The operator login may publish anywhere, so it stands in for a publisher that forges.
    const nc = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
    });
    try {
      const deadLetters = nc.subscribe('deadletter.telemetry.tenant-a');
      const js = jetstream(nc);
      const forgedHeaders = natsHeaders();
      forgedHeaders.set('Iotwins-Tenant', 'tenant-b');
      forgedHeaders.set('Iotwins-Points', '1');
      await js.publish(`telemetry.tenant-a.${forged}`, `${forged} v=1 1795514400000000000`, {
        headers: forgedHeaders,
      });
      // Without any header the subject alone decides: this lands in tenant-b.
      await js.publish(`telemetry.tenant-b.${headerless}`, `${headerless} v=2 1795514400000000000`);
      let reason: string | undefined;
      for await (const message of deadLetters) {
        if (!message.string().startsWith(forged)) continue;
        reason = message.headers?.get('Iotwins-Dead-Letter-Reason');
        break;
      }
      expect(reason).toBe(
        'Iotwins-Tenant header "tenant-b" disagrees with the subject\'s tenant "tenant-a"',
      );
      const [series] = await stored(tokenB, headerless, 1);
      expect(series!.points).toEqual([
        { time: '2026-11-24T10:00:00.000000000Z', fields: { v: 2 } },
      ]);
      expect(await query(tokenA, headerless)).toEqual([]);
      expect(await query(tokenA, forged)).toEqual([]);
      expect(await query(tokenB, forged)).toEqual([]);
    } finally {
      await nc.close();
    }
  });

  it('stores a batch retried with the same Idempotency-Key once', async () => {
    const measurement = uniqueName('idempotent');
    // Points without a time get the time of receipt, so only the key can make a retry equal.
    const body = JSON.stringify({
      points: Array.from({ length: 5 }, (_, i) => ({
        measurement,
        tags: { i: String(i) },
        fields: { v: i },
      })),
    });
    const headers = {
      authorization: `Bearer ${tokenA}`,
      'content-type': 'application/json',
      'idempotency-key': uniqueName('batch'),
    };
    expect((await post('/v1/points', body, headers)).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await post('/v1/points', body, headers)).status).toBe(202);
    await stored(tokenA, measurement, 5);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const series = await query(tokenA, measurement);
    expect(series.map((s) => s.points.length)).toEqual([1, 1, 1, 1, 1]);
  });

  it('keeps tenants apart: no writing to, and no reading of, another tenant', async () => {
    const measurement = uniqueName('private');
    const write = await post('/write?db=tenant-b', `${measurement} v=1 1795514400000000000`, {
      authorization: `Bearer ${tokenA}`,
    });
    expect(write.status).toBe(403);
    expect(await write.json()).toMatchObject({ type: 'urn:iotwins:problem:tenant-forbidden' });
    const ownWrite = await post('/write?db=tenant-b', `${measurement} v=2 1795514400000000000`, {
      authorization: `Bearer ${tokenB}`,
    });
    expect(ownWrite.status).toBe(204);
    await stored(tokenB, measurement, 1);
    expect(await query(tokenA, measurement)).toEqual([]);
    const list = await fetch(`${timeseries.baseUrl}/v1/measurements`, {
      headers: { authorization: `Bearer ${tokenA}` },
    });
    expect(((await list.json()) as { measurements: string[] }).measurements).not.toContain(
      measurement,
    );
  });

  it('answers 429 with Retry-After when a tenant exceeds its points per second', async () => {
    const limited = await startAppProcess('ingest', {
      INGEST_RATE_LIMIT_POINTS_PER_SECOND: '10',
      MQTT_ENABLED: 'false',
    });
    try {
      const measurement = uniqueName('limited');
      const body = Array.from(
        { length: 8 },
        (_, i) => `${measurement} v=${i} ${1795514400000000000 + i}`,
      ).join('\n');
      const send = () =>
        fetch(`${limited.baseUrl}/write?db=tenant-b`, {
          method: 'POST',
          body,
          headers: { authorization: `Bearer ${tokenB}` },
        });
      const statuses: number[] = [];
      let refused: Response | undefined;
      for (let i = 0; i < 3 && !refused; i++) {
        const response = await send();
        statuses.push(response.status);
        if (response.status === 429) refused = response;
      }
      expect(refused).toBeDefined();
      expect(refused!.headers.get('retry-after')).toBe('1');
      expect(await refused!.json()).toMatchObject({
        type: 'urn:iotwins:problem:rate-limited',
        limit: 10,
      });
      expect(statuses[0]).toBe(204);
    } finally {
      await limited.stop();
    }
  });

  it('lets a platform admin change a tenant’s retention, and nobody else', async () => {
    const operator = await tokens.operator();
    const url = `${timeseries.baseUrl}/v1/tenants/tenant-a/retention`;
    const put = (token: string, duration: string) =>
      fetch(url, {
        method: 'PUT',
        body: JSON.stringify({ duration }),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
    expect((await put(tokenA, '30d')).status).toBe(403);
    const bad = await put(operator, '30 days');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: 'urn:iotwins:problem:validation-failed' });
    try {
      expect(await (await put(operator, '520w')).json()).toEqual({ duration: '87360h0m0s' });
      const read = await fetch(url, { headers: { authorization: `Bearer ${tokenA}` } });
      expect(await read.json()).toEqual({ duration: '87360h0m0s' });
      expect(
        (
          await fetch(url.replace('tenant-a', 'tenant-b'), {
            headers: { authorization: `Bearer ${tokenA}` },
          })
        ).status,
      ).toBe(403);
    } finally {
      await put(operator, '0s');
    }
  });

  it('streams an export that the CSV write API reads back', async () => {
    const measurement = uniqueName('export');
    const lines = Array.from(
      { length: 300 },
      (_, i) => `${measurement},unit=u${i % 3} v=${i}.5,n=${i}i ${1795514400000000000 + i * 1000}`,
    );
    expect(
      (await post('/write?db=tenant-a', lines.join('\n'), { authorization: `Bearer ${tokenA}` }))
        .status,
    ).toBe(204);
    await stored(tokenA, measurement, 300);
    const response = await fetch(
      `${timeseries.baseUrl}/v1/measurements/${measurement}/export?format=csv&start=2026-11-24T00:00:00Z&end=2026-11-25T00:00:00Z`,
      { headers: { authorization: `Bearer ${tokenA}` } },
    );
    expect(response.status).toBe(200);
    const csv = await response.text();
    const rows = csv.trim().split('\n');
    expect(rows[0]).toBe('time,tag:unit,field:n:integer,field:v:float');
    expect(rows).toHaveLength(301);
    const copy = `${measurement}-copy`;
    const back = await post(`/v1/points/csv?measurement=${copy}`, csv, {
      authorization: `Bearer ${tokenA}`,
      'content-type': 'text/csv',
    });
    expect(back.status).toBe(202);
    const [original, copied] = [
      await stored(tokenA, measurement, 300),
      await stored(tokenA, copy, 300),
    ];
    expect(copied).toEqual(original);
  });
});
