import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { TELEMETRY_STREAM } from '@iotwins/messaging';
import { createScopedS3, physicalBucketName } from '@iotwins/storage';
import { requireEnv, tokens, uniqueName, waitFor, waitForSinkConsumer } from '@iotwins/testing';
import { FilesPlatform } from './connectors-files.fixture';

/**
 * The file connectors end to end against the real MinIO, objectstore, ingest and timeseries:
 * files dropped into a tenant's import folder come back exactly from the query API, with a
 * report of what was refused; a kill -9 mid-file stores every point once.
 */
describe('connectors: file import, Parquet export and object-batch sink on tenant buckets', () => {
  let platform: FilesPlatform;
  let bucket: string;

  beforeAll(async () => {
    platform = await FilesPlatform.start();
    bucket = await platform.bucket();
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  const ns = (time: string): string => `${BigInt(Date.parse(time)) * 1_000_000n}`;
  const importer = (measurement: string, prefix: string) =>
    platform.connector(uniqueName('import'), 'file-import', { bucket, prefix, measurement });

  it('refuses an import folder in a bucket the tenant does not have, and a private bucket', async () => {
    const otherTenant = await tokens.gatewayB();
    const { status, body } = await platform.call(
      platform.ingest,
      'POST',
      '/v1/connectors',
      { name: 'theft', type: 'file-import', config: { bucket } },
      otherTenant,
    );
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      { pointer: '/config/bucket', detail: `you have no bucket "${bucket}"` },
    ]);

    const mine = await platform.bucket('private');
    const privateBucket = await platform.call(platform.ingest, 'POST', '/v1/connectors', {
      name: 'private',
      type: 'file-import',
      config: { bucket: mine },
    });
    expect(privateBucket.status).toBe(400);
    expect(privateBucket.body.errors[0].pointer).toBe('/config/bucket');
    expect(privateBucket.body.errors[0].detail).toMatch(/ACL private/);

    const badShape = await platform.call(platform.ingest, 'POST', '/v1/connectors', {
      name: 'bad',
      type: 'file-import',
      config: { bucket: 'No_Such', prefix: '../x', format: 'xml' },
    });
    expect(badShape.status).toBe(400);
    expect(badShape.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/config/bucket',
      '/config/format',
      '/config/prefix',
    ]);
  });

  it("signs each run's S3 requests with credentials that reach only its bucket prefix", async () => {
    const other = await platform.bucket();
    await platform.put(bucket, 'scoped/in.csv', 'a', 'text/csv');
    await platform.put(bucket, 'elsewhere/out.csv', 'b', 'text/csv');
    await platform.put(other, 'scoped/in.csv', 'c', 'text/csv');
    const physical = physicalBucketName('tenant-a', bucket);
    const s3 = createScopedS3(
      {
        endpoint: requireEnv('S3_ENDPOINT'),
        accessKey: requireEnv('CONNECTORS_S3_ACCESS_KEY'),
        secretKey: requireEnv('CONNECTORS_S3_SECRET_KEY'),
      },
      physical,
      'scoped/',
      'read-write',
    );
    const client = await s3.client();
    const read = async (bucketName: string, key: string) => {
      const stream = await client.getObject(bucketName, key);
      let text = '';
      for await (const part of stream) text += String(part);
      return text;
    };
    expect(await read(physical, 'scoped/in.csv')).toBe('a');
    await client.putObject(physical, 'scoped/new.csv', Buffer.from('d'));
    const denied = { code: 'AccessDenied' };
    await expect(read(physical, 'elsewhere/out.csv')).rejects.toMatchObject(denied);
    await expect(
      read(physicalBucketName('tenant-a', other), 'scoped/in.csv'),
    ).rejects.toMatchObject(denied);
    await expect(
      client.putObject(physicalBucketName('tenant-b', bucket), 'scoped/x', Buffer.from('e')),
    ).rejects.toMatchObject(denied);
    await expect(client.removeObject(physical, 'scoped/in.csv')).rejects.toMatchObject(denied);
    await expect(client.listObjectsV2(physical, '').toArray()).rejects.toMatchObject(denied);
  });

  it('refuses an export of a reversed range, and says so when a range holds no points', async () => {
    const reversed = await platform.call(platform.ingest, 'POST', '/v1/connectors', {
      name: 'reversed',
      type: 'parquet-export',
      config: {
        measurement: 'm',
        start: '2026-11-25T00:00:00Z',
        end: '2026-11-24T00:00:00Z',
        bucket,
      },
    });
    expect(reversed.status).toBe(400);
    expect(reversed.body.errors).toEqual([
      expect.objectContaining({ pointer: '/config/end', detail: 'end must be after start' }),
    ]);
    // A tenant with data has a database, hence a reader the export reads as (made with it).
    const other = uniqueName('something');
    const written = await platform.call(platform.ingest, 'POST', '/v1/points', {
      points: [{ measurement: other, fields: { v: 1 }, time: '2026-11-20T00:00:00Z' }],
    });
    expect(written.status).toBe(202);
    await platform.waitForPoints(other, 1);
    const measurement = uniqueName('nothing');
    const id = await platform.connector(uniqueName('empty-export'), 'parquet-export', {
      measurement,
      start: '2026-11-24T00:00:00Z',
      end: '2026-11-25T00:00:00Z',
      bucket,
      key: `exports/${measurement}.parquet`,
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a connector view
    let view: any;
    await waitFor(
      'the export done',
      async () => {
        view = (await platform.call(platform.ingest, 'GET', `/v1/connectors/${id}`)).body;
        return view.status.state === 'running';
      },
      { timeoutMs: 30_000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; status ${JSON.stringify(view?.status)}`);
    });
    expect(view.status.lastError).toBe(
      `no points of ${measurement} between 2026-11-24T00:00:00Z and 2026-11-25T00:00:00Z; an empty file is written`,
    );
    const file = await platform.get(bucket, `exports/${measurement}.parquet`);
    expect(file?.subarray(0, 4).toString()).toBe('PAR1');
  }, 90_000);

  it('imports CSV (ingest header rules) and reports every refused row by its line', async () => {
    const measurement = uniqueName('csv');
    await importer(measurement, 'csv/');
    const csv = [
      'time,tag:site,field:power,field:rpm:integer,field:ok:boolean,field:state:string',
      '2026-11-24T10:00:00Z,north,1520.5,1200,true,running',
      '2026-11-24T10:00:01.123456789Z,south,99,7,false,"idle, cooling"',
      'yesterday,north,1,1,true,x',
      '2026-11-24T10:00:02Z,north,not-a-number,1,true,x',
      '2026-11-24T10:00:03Z,east,3.25,-9007199254740993,true,ok',
    ].join('\n');
    // Another file of the folder, and a file outside it, which is not imported.
    await platform.put(bucket, 'csv/day-1.csv', csv, 'text/csv');
    await platform.put(bucket, 'elsewhere/day-1.csv', csv, 'text/csv');
    const report = await platform.report(bucket, 'csv/day-1.csv');
    expect(report).toMatchObject({
      bucket,
      key: 'csv/day-1.csv',
      format: 'csv',
      outcome: 'completed',
      recordsRead: 5,
      pointsStored: 3,
      recordsRefused: 2,
    });
    expect(report.refused).toEqual([
      { line: 4, detail: expect.stringContaining('yesterday') },
      { line: 5, detail: expect.stringContaining('not-a-number') },
    ]);
    expect(typeof report.durationMs).toBe('number');
    expect(await platform.waitForPoints(measurement, 3)).toEqual([
      {
        tags: { site: 'north' },
        time: '2026-11-24T10:00:00.000000000Z',
        fields: {
          power: 1520.5,
          rpm: { type: 'integer', value: 1200 },
          ok: true,
          state: 'running',
        },
      },
      {
        tags: { site: 'south' },
        time: '2026-11-24T10:00:01.123456789Z',
        fields: {
          power: 99,
          rpm: { type: 'integer', value: 7 },
          ok: false,
          state: 'idle, cooling',
        },
      },
      {
        tags: { site: 'east' },
        time: '2026-11-24T10:00:03.000000000Z',
        fields: {
          power: 3.25,
          rpm: { type: 'integer', value: '-9007199254740993' },
          ok: true,
          state: 'ok',
        },
      },
    ]);
    expect(await platform.get(bucket, 'elsewhere/day-1.csv.import-report.json')).toBeUndefined();
    // A file of no format it knows is reported, not guessed at.
    await platform.put(bucket, 'csv/photo.bin', 'GIF89a', 'application/octet-stream');
    expect(await platform.report(bucket, 'csv/photo.bin')).toMatchObject({
      outcome: 'failed',
      error:
        'unsupported format: name the file .csv, .json, .lp or .parquet, or configure "format"',
      pointsStored: 0,
    });
  }, 90_000);

  it('imports JSON points and line protocol, keeping the valid records of a file', async () => {
    const measurement = uniqueName('mixed');
    await importer(measurement, 'mixed/');
    const json = {
      points: [
        { tags: { unit: '7' }, fields: { temp: 21.5 }, time: '2026-11-24T08:00:00Z' },
        {
          measurement,
          fields: { temp: 'hot', level: { type: 'integer', value: 3 } },
          time: Date.parse('2026-11-24T08:00:01Z'),
        },
        { fields: {}, time: '2026-11-24T08:00:02Z' },
      ],
    };
    await platform.put(bucket, 'mixed/points.json', JSON.stringify(json), 'application/json');
    const lines = [
      `${measurement},unit=8 temp=19.25,level=4i ${ns('2026-11-24T08:00:03Z')}`,
      'this is not line protocol',
      `${measurement},unit=9 temp=18 ${ns('2026-11-24T08:00:04Z')}`,
    ].join('\n');
    await platform.put(bucket, 'mixed/lines.lp', lines, 'text/plain');
    const jsonReport = await platform.report(bucket, 'mixed/points.json');
    // Point 1 sends temp as a string where point 0 made it a float: refused like HTTP ingest.
    expect(jsonReport.refused).toEqual([
      { index: 1, detail: expect.stringMatching(/temp.*(float|string)/) },
      { index: 2, detail: 'a point needs at least one field' },
    ]);
    expect(jsonReport).toMatchObject({ format: 'json', pointsStored: 1, recordsRefused: 2 });
    const lpReport = await platform.report(bucket, 'mixed/lines.lp');
    expect(lpReport.refused).toEqual([{ line: 2, detail: expect.any(String) }]);
    expect(lpReport).toMatchObject({ format: 'line-protocol', pointsStored: 2, recordsRefused: 1 });
    expect(await platform.waitForPoints(measurement, 3)).toEqual([
      { tags: { unit: '7' }, time: '2026-11-24T08:00:00.000000000Z', fields: { temp: 21.5 } },
      {
        tags: { unit: '8' },
        time: '2026-11-24T08:00:03.000000000Z',
        fields: { temp: 19.25, level: { type: 'integer', value: 4 } },
      },
      { tags: { unit: '9' }, time: '2026-11-24T08:00:04.000000000Z', fields: { temp: 18 } },
    ]);
  }, 90_000);
  it('writes a window of telemetry as CSV that the import reads back, acked after the write', async () => {
    const measurement = uniqueName('window');
    const sinkId = await platform.connector(uniqueName('sink'), 'object-batch-sink', {
      source: { filter: measurement },
      bucket,
      format: 'csv',
      windowSeconds: 2,
      keyTemplate: 'windows/{measurement}/{windowStart}-{firstSeq}.{format}',
    });
    await waitForSinkConsumer(sinkId);
    const points = [
      {
        tags: { unit: 'a' },
        fields: { v: 1.5, n: { type: 'integer', value: 7 }, s: 'x, "y"' },
        time: '2026-11-24T09:00:00.000000001Z',
      },
      { tags: { unit: 'b' }, fields: { v: -2, ok: true }, time: '2026-11-24T09:00:01Z' },
    ];
    const written = await platform.call(platform.ingest, 'POST', '/v1/points', {
      points: points.map((point) => ({ measurement, ...point })),
    });
    expect(written.status).toBe(202);
    let keys: string[] = [];
    await waitFor(
      'the window file',
      async () => (keys = await platform.list(bucket, `windows/${measurement}/`)).length > 0,
      {
        timeoutMs: 30_000,
      },
    );
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(
      new RegExp(`^windows/${measurement}/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ-\\d+\\.csv$`),
    );
    const csv = (await platform.get(bucket, keys[0]!))!.toString('utf8');
    expect(csv).toBe(
      [
        'time,measurement,tag:unit,field:n:integer,field:ok:boolean,field:s:string,field:v:float',
        `2026-11-24T09:00:00.000000001Z,${measurement},a,7,,"x, ""y""",1.5`,
        `2026-11-24T09:00:01.000000000Z,${measurement},b,,true,,-2`,
        '',
      ].join('\n'),
    );
    // Acknowledged once written: the status counts the message and its points.
    await waitFor('the sink status', async () => {
      const { body } = await platform.call(platform.ingest, 'GET', `/v1/connectors/${sinkId}`);
      return body.status.pointsWritten === 2 && body.status.state === 'running';
    });
    // The file imports back as it is (the ingest CSV header rules, nanosecond times).
    await importer(measurement, 'roundtrip/');
    await platform.put(bucket, 'roundtrip/window.csv', csv, 'text/csv');
    expect(await platform.report(bucket, 'roundtrip/window.csv')).toMatchObject({
      pointsStored: 2,
      recordsRefused: 0,
      outcome: 'completed',
    });
  }, 60_000);
  it('shows a sink whose bucket is gone as failing with the reason, retries, then dead-letters', async () => {
    const doomed = await platform.bucket();
    const measurement = uniqueName('lost');
    const id = await platform.connector(uniqueName('sink'), 'object-batch-sink', {
      source: { filter: measurement, retryDelaySeconds: 1, maxDeliveries: 2 },
      bucket: doomed,
      windowSeconds: 1,
    });
    // Running (its consumer made) before the bucket goes.
    await waitForSinkConsumer(id);
    const removed = await platform.call(
      platform.objectstore,
      'DELETE',
      `/v1/buckets/${doomed}?force=true`,
    );
    expect(removed.status).toBe(204);
    const written = await platform.call(platform.ingest, 'POST', '/v1/points', {
      points: [{ measurement, fields: { v: 1 }, time: '2026-11-24T09:00:00Z' }],
    });
    expect(written.status).toBe(202);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a connector view
    let view: any;
    await waitFor('a failing status', async () => {
      view = (await platform.call(platform.ingest, 'GET', `/v1/connectors/${id}`)).body;
      return view.status.state === 'failing';
    });
    expect(view.status.lastError).toMatch(/^writing the window of .* failed: .*bucket/i);
    expect(view.status.pointsWritten).toBe(0);
    // Delivered again after the retry delay; the second failure gives the message up.
    await waitFor('the message dead-lettered', async () => {
      view = (await platform.call(platform.ingest, 'GET', `/v1/connectors/${id}`)).body;
      return view.status.deadLettered === 1;
    });
    expect(view.status.lastDeadLetter.what).toMatch(
      new RegExp(`^telemetry\\.tenant-a\\.${measurement} #\\d+$`),
    );
  }, 60_000);
});

/**
 * kill -9 of ingest while it imports a large file, then a new ingest: the file's event comes
 * back, the file is imported again from its start, and JetStream's duplicate window drops
 * every chunk already stored, so each point is stored once and none is lost.
 */
describe('connectors: file import survives a kill -9 mid-file', () => {
  const POINTS = 200_000;
  let platform: FilesPlatform;
  let nc: NatsConnection;

  beforeAll(async () => {
    platform = await FilesPlatform.start();
    nc = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
    });
  }, 120_000);
  afterAll(async () => {
    await nc?.close();
    await platform?.stop();
  });

  /** Messages TELEMETRY holds for one measurement of tenant-a: one per stored chunk. */
  const storedMessages = async (measurement: string): Promise<number> => {
    const subject = `telemetry.tenant-a.${measurement}`;
    const info = await (
      await jetstreamManager(nc)
    ).streams.info(TELEMETRY_STREAM, {
      subjects_filter: subject,
    });
    return info.state.subjects?.[subject] ?? 0;
  };

  /**
   * A durable of the test on the measurement's subject: TELEMETRY keeps messages while a
   * consumer has interest, so it sees every message stored, each once.
   */
  const tap = async (measurement: string): Promise<string> => {
    const name = uniqueName('tap');
    await (
      await jetstreamManager(nc)
    ).consumers.add(TELEMETRY_STREAM, {
      durable_name: name,
      filter_subject: `telemetry.tenant-a.${measurement}`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
    });
    return name;
  };

  /** Lines of line protocol in every message the tap holds; removes the tap. */
  const linesInStream = async (name: string): Promise<number> => {
    const consumer = await jetstream(nc).consumers.get(TELEMETRY_STREAM, name);
    let lines = 0;
    for (;;) {
      let read = 0;
      for await (const message of await consumer.fetch({ max_messages: 100, expires: 2_000 })) {
        lines += message
          .string()
          .split('\n')
          .filter((line) => line.trim() !== '').length;
        message.ack();
        read += 1;
      }
      if (read === 0) break;
    }
    await (await jetstreamManager(nc)).consumers.delete(TELEMETRY_STREAM, name);
    return lines;
  };

  const countPoints = async (measurement: string): Promise<number> => {
    const response = await fetch(
      `${platform.timeseries.baseUrl}/query?db=tenant-a&q=${encodeURIComponent(`SELECT count(v) FROM "${measurement}"`)}`,
      { headers: { authorization: `Bearer ${platform.token}` } },
    );
    const body = (await response.json()) as {
      results: { series?: { values: [string, number][] }[] }[];
    };
    return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
  };

  it('stores every point of the file once after a kill -9 and a restart', async () => {
    const bucket = await platform.bucket();
    const measurement = uniqueName('bulk');
    await platform.connector(uniqueName('bulk-import'), 'file-import', { bucket, prefix: 'bulk/' });
    const base = BigInt(Date.parse('2026-11-24T00:00:00Z')) * 1_000_000n;
    const lines: string[] = [];
    for (let i = 0; i < POINTS; i += 1)
      lines.push(`${measurement},unit=u${i % 10} v=${i}i ${base + BigInt(i) * 1_000_000n}`);
    const tapName = await tap(measurement);
    await platform.put(bucket, 'bulk/day.lp', lines.join('\n'), 'text/plain');

    const chunks = POINTS / 10_000; // at least one message each
    await waitFor('a few chunks stored', async () => (await storedMessages(measurement)) >= 2, {
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    let beforeKill: number;
    try {
      beforeKill = await storedMessages(measurement);
      await platform.ingest.stop('SIGKILL');
    } finally {
      // Restarted before any assertion, so a failure here leaves no dead ingest behind.
      await platform.restartIngest();
    }
    expect(beforeKill).toBeLessThan(chunks);

    const report = await platform.report(bucket, 'bulk/day.lp', 120_000);
    expect(report).toMatchObject({ pointsStored: POINTS, recordsRefused: 0, outcome: 'completed' });
    await waitFor(
      'every point in InfluxDB',
      async () => (await countPoints(measurement)) >= POINTS,
      {
        timeoutMs: 120_000,
      },
    );
    expect(await countPoints(measurement)).toBe(POINTS);
    // The chunks stored before the kill were published again and dropped as duplicates:
    // TELEMETRY holds each point in exactly one message.
    expect(await linesInStream(tapName)).toBe(POINTS);
  }, 300_000);
});
