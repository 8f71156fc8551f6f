// Connector throughput, points per second from the first byte sent until every point is
// queryable in InfluxDB, measured in one run on this machine (issue 15):
//   (a) HTTP ingest: line protocol POSTed to /write, the baseline;
//   (b) AMQP source: the same points published as messages into RabbitMQ, read by an
//       amqp-source connector (ack after JetStream stored them), written by timeseries;
//   (c) Parquet import: measured by bench/connectors-parquet.js (`measureParquetImport(env)`,
//       `env` as built in main()): one Parquet file of the same number of points.
// Queryable = `SELECT count(v)` of the run's measurement reaches the points sent.
// Needs the backing services with RabbitMQ (bash scripts/services.sh up) and built apps.
// Usage: node bench/connectors-throughput.js [--points 1000000] [--batch 5000]
//        [--inflight 4] [--message-points 100] [--prefetch 200]
require('reflect-metadata');
const { performance } = require('node:perf_hooks');
const { parseArgs } = require('node:util');
const amqp = require('amqplib');
const { applyLocalEnv, startAppProcess, tokens } = require('../libs/testing/dist');

const { values: args } = parseArgs({
  options: {
    points: { type: 'string' },
    batch: { type: 'string' },
    inflight: { type: 'string' },
    'message-points': { type: 'string' },
    prefetch: { type: 'string' },
  },
});
const POINTS = Number(args.points ?? 1_000_000);
const BATCH = Number(args.batch ?? 5000);
const INFLIGHT = Number(args.inflight ?? 4);
const MESSAGE_POINTS = Number(args['message-points'] ?? 100);
const PREFETCH = Number(args.prefetch ?? 200);
const TENANT_DB = 'iotwins_tenant-a';

applyLocalEnv();
const env = process.env;
const influxAuth = `Basic ${Buffer.from(`${env.INFLUX_USER}:${env.INFLUX_PASSWORD}`).toString('base64')}`;

/**
 * `count` points of line protocol in bodies of `size` lines: 20 hosts x 7 sensors, a unique
 * nanosecond timestamp each. Made before the clock starts, so the generator leaves the CPU
 * to what is measured.
 */
function bodies(measurement, count, size) {
  const base = String(BigInt(Date.now()) / 1000n);
  const out = [];
  for (let first = 0; first < count; first += size) {
    const lines = [];
    for (let n = first; n < Math.min(first + size, count); n++)
      lines.push(
        `${measurement},host=h${n % 20},sensor=s${n % 7} v=${(n % 1000) / 10},status=${n % 3}i ${base}${String(n).padStart(9, '0')}`,
      );
    out.push(Buffer.from(lines.join('\n')));
  }
  return out;
}

/** Points of a measurement InfluxDB answers with, 0 before the first. */
async function stored(measurement) {
  const body = new URLSearchParams({ q: `SELECT count(v) FROM "${measurement}"`, db: TENANT_DB });
  const response = await fetch(`${env.INFLUX_URL}/query`, {
    method: 'POST',
    body,
    headers: { authorization: influxAuth },
  });
  const result = await response.json();
  return result.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0;
}

/** Resolves with the time all `count` points of `measurement` became queryable. */
async function queryable(measurement, count, timeoutMs = 600_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const now = performance.now();
    if ((await stored(measurement)) >= count) return now;
    if (now > deadline) throw new Error(`${measurement}: not all ${count} points queryable`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function httpIngest({ ingest, token }) {
  const measurement = `bench_http_${Date.now()}`;
  const batches = bodies(measurement, POINTS, BATCH);
  let next = 0;
  let failed = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < batches.length) {
      const n = next++;
      const response = await fetch(`${ingest.baseUrl}/write?db=tenant-a`, {
        method: 'POST',
        body: batches[n],
        headers: { authorization: `Bearer ${token}` },
      });
      await response.arrayBuffer();
      if (response.status !== 204) failed += 1;
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  if (failed > 0) throw new Error(`HTTP ingest refused ${failed} batches`);
  const done = await queryable(measurement, POINTS);
  return { points: POINTS, seconds: (done - started) / 1000 };
}

async function amqpSource({ ingest, token }) {
  const measurement = `bench_amqp_${Date.now()}`;
  const queue = `bench-${measurement}`;
  const messages = bodies(measurement, POINTS, MESSAGE_POINTS);
  const connection = await amqp.connect({
    protocol: 'amqp',
    hostname: '127.0.0.1',
    port: Number(env.RABBITMQ_PORT),
    username: env.RABBITMQ_USER,
    password: env.RABBITMQ_PASSWORD,
    vhost: env.RABBITMQ_VHOST,
  });
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(queue, { durable: true });
  const api = (method, path, body) =>
    fetch(`${ingest.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body && JSON.stringify(body),
    });
  const response = await api('POST', '/v1/connectors', {
    name: queue,
    type: 'amqp-source',
    config: {
      url: `amqp://127.0.0.1:${env.RABBITMQ_PORT}`,
      username: env.RABBITMQ_USER,
      password: { value: env.RABBITMQ_PASSWORD },
      vhost: env.RABBITMQ_VHOST,
      queue,
      declareQueue: false,
      format: 'line-protocol',
      prefetch: PREFETCH,
    },
  });
  if (response.status !== 201) throw new Error(`connector not created: ${await response.text()}`);
  const { id } = await response.json();
  try {
    const started = performance.now();
    // Published persistent with confirms, as a testbed that must not lose readings would.
    for (const message of messages) {
      if (!channel.sendToQueue(queue, message, { persistent: true }))
        await new Promise((r) => channel.once('drain', r));
    }
    await channel.waitForConfirms();
    const published = performance.now();
    const done = await queryable(measurement, POINTS);
    return {
      points: POINTS,
      seconds: (done - started) / 1000,
      publishSeconds: (published - started) / 1000,
    };
  } finally {
    const deleted = await api('DELETE', `/v1/connectors/${id}`);
    if (deleted.status !== 204) console.error(`connector ${id} not deleted: ${deleted.status}`);
    await channel.deleteQueue(queue).catch(() => undefined);
    await connection.close();
  }
}

const fmt = (result) =>
  `${Math.round(result.points / result.seconds).toLocaleString('en')} points/s ` +
  `(${result.points.toLocaleString('en')} points in ${result.seconds.toFixed(1)} s)`;

async function main() {
  console.log(
    `connectors benchmark: ${POINTS.toLocaleString('en')} points per path, sent -> queryable in InfluxDB`,
  );
  const overrides = { INGEST_RATE_LIMIT_POINTS_PER_SECOND: '0', MQTT_ENABLED: 'false' };
  // The objectstore's object-created events drive the Parquet import (c).
  const [ingest, timeseries, objectstore] = await Promise.all([
    startAppProcess('ingest', overrides),
    startAppProcess('timeseries'),
    startAppProcess('objectstore'),
  ]);
  try {
    const token = await tokens.gatewayA();
    /** What every measurement gets, the Parquet one included. */
    const run = { ingest, timeseries, objectstore, token, env, points: POINTS, stored, queryable };
    const http = await httpIngest(run);
    console.log(
      `(a) HTTP POST /write -> queryable (batches of ${BATCH}, ${INFLIGHT} in flight):      ${fmt(http)}`,
    );
    const viaAmqp = await amqpSource(run);
    console.log(
      `(b) RabbitMQ -> amqp-source -> queryable (${MESSAGE_POINTS} points/message, prefetch ${PREFETCH}): ${fmt(viaAmqp)}; ` +
        `publishing took ${viaAmqp.publishSeconds.toFixed(1)} s; b / a = ${(http.seconds / viaAmqp.seconds).toFixed(2)}`,
    );
    {
      const { measureParquetImport } = require('./connectors-parquet');
      const parquet = await measureParquetImport(run);
      console.log(
        `(c) Parquet file into an import folder -> file-import -> queryable:  ${fmt({ points: parquet.points, seconds: parquet.queryableSeconds })}; ` +
          `${(parquet.fileBytes / 1e6).toFixed(1)} MB file, import report after ${parquet.reportSeconds.toFixed(1)} s; c / a = ${(http.seconds / parquet.queryableSeconds).toFixed(2)}`,
      );
    }
  } finally {
    await Promise.all([ingest.stop(), timeseries.stop(), objectstore.stop()]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
