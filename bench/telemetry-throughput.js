// Telemetry throughput, measured in one run on this machine (issue: telemetry path):
//   (a) line protocol written straight to InfluxDB by this script: the ceiling;
//   (b) points per second through the platform, HTTP POST to queryable in InfluxDB;
//   (c) b / a;
//   (d) p50 and p99 delay from POST to queryable at half of b.
// Needs the backing services (bash scripts/services.sh up) and built apps (pnpm build).
// Usage: node bench/telemetry-throughput.js [--seconds 15] [--batch 5000] [--inflight 4]
require('reflect-metadata');
const { parseArgs } = require('node:util');
const { applyLocalEnv, startAppProcess, tokens } = require('../libs/testing/dist');

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string' },
    batch: { type: 'string' },
    inflight: { type: 'string' },
    'latency-seconds': { type: 'string' },
    pool: { type: 'string' },
  },
});
const SECONDS = Number(args.seconds ?? 15);
const BATCH = Number(args.batch ?? 5000);
const INFLIGHT = Number(args.inflight ?? 4);
const LATENCY_SECONDS = Number(args['latency-seconds'] ?? 10);
const POOL = Number(args.pool ?? 200);

applyLocalEnv();
const env = process.env;
const influxAuth = `Basic ${Buffer.from(`${env.INFLUX_USER}:${env.INFLUX_PASSWORD}`).toString('base64')}`;

let sequence = 0;
/**
 * A batch of line protocol: 20 hosts x 7 sensors, a unique nanosecond timestamp per point.
 * Cheap to make (no BigInt per line), so the load generator leaves the CPU to the platform.
 */
function batch(measurement, size, timeBase) {
  const seconds = String(timeBase / 1_000_000_000n);
  const lines = new Array(size);
  for (let i = 0; i < size; i++) {
    const n = sequence++;
    lines[i] =
      `${measurement},host=h${n % 20},sensor=s${n % 7} value=${(n % 1000) / 10},status=${n % 3}i ${seconds}${String(n).padStart(9, '0')}`;
  }
  return lines.join('\n');
}

/** Runs InfluxQL; nanosecond times come back as strings, which JSON numbers would round. */
async function influx(statement, db) {
  const body = new URLSearchParams({ q: statement, epoch: 'ns' });
  if (db) body.set('db', db);
  const response = await fetch(`${env.INFLUX_URL}/query`, {
    method: 'POST',
    body,
    headers: { authorization: influxAuth },
  });
  return JSON.parse((await response.text()).replace(/\[(-?\d{16,}),/g, '["$1",'));
}

/** Sends batches with `inflight` requests in flight for `seconds`; returns points acknowledged. */
async function load(send, seconds, inflight) {
  const deadline = performance.now() + seconds * 1000;
  let acknowledged = 0;
  let failed = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      if (await send()) acknowledged += BATCH;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  return { acknowledged, failed };
}

/**
 * Bodies made and encoded before the clock starts, so the load generator does not take CPU
 * from what is measured (the same for (a) and (b)). They are sent round-robin; rewriting a
 * point costs InfluxDB what writing it does.
 */
function pool(measurement) {
  const base = BigInt(Date.now()) * 1_000_000n;
  return Array.from({ length: POOL }, () => Buffer.from(batch(measurement, BATCH, base)));
}

async function direct() {
  const db = `bench_direct_${Date.now()}`;
  await influx(`CREATE DATABASE "${db}"`);
  const bodies = pool('bench');
  let next = 0;
  const started = performance.now();
  const { acknowledged } = await load(
    async () => {
      const response = await fetch(`${env.INFLUX_URL}/write?db=${db}&precision=ns`, {
        method: 'POST',
        body: bodies[next++ % bodies.length],
        headers: { authorization: influxAuth },
      });
      return response.status === 204;
    },
    SECONDS,
    3,
  );
  const seconds = (performance.now() - started) / 1000;
  await influx(`DROP DATABASE "${db}"`);
  return acknowledged / seconds;
}

/** Messages of TELEMETRY not yet written to InfluxDB, from the NATS monitoring endpoint. */
async function backlog() {
  const jsz = await (
    await fetch(`http://127.0.0.1:${env.NATS_MONITOR_PORT}/jsz?consumers=true`)
  ).json();
  const streams = (jsz.account_details ?? []).flatMap((account) => account.stream_detail ?? []);
  const consumer = streams
    .filter((stream) => stream.name === 'TELEMETRY')
    .flatMap((stream) => stream.consumer_detail ?? [])
    .find((detail) => detail.name === 'timeseries-writer');
  return consumer ? consumer.num_pending + consumer.num_ack_pending : 0;
}

/**
 * End to end: a batch counts once JetStream acknowledged it to ingest and the timeseries
 * writer acknowledged it to JetStream, which it does only after InfluxDB accepted it.
 */
async function platform(ingest, token) {
  const bodies = pool(`bench_${Date.now()}`);
  while ((await backlog()) > 0) await new Promise((r) => setTimeout(r, 200));
  let next = 0;
  const started = performance.now();
  const { acknowledged, failed } = await load(
    async () => {
      const n = next++;
      const response = await fetch(`${ingest.baseUrl}/write?db=tenant-a`, {
        method: 'POST',
        body: bodies[n % bodies.length],
        // A key per request: the same body sent again is new data to JetStream, not a retry.
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': `bench-${started}-${n}` },
      });
      return response.status === 204;
    },
    SECONDS,
    INFLIGHT,
  );
  const sent = performance.now();
  while ((await backlog()) > 0) await new Promise((r) => setTimeout(r, 20));
  const queryable = performance.now();
  return {
    acknowledged,
    failed,
    postRate: acknowledged / ((sent - started) / 1000),
    endToEndRate: acknowledged / ((queryable - started) / 1000),
    drainSeconds: (queryable - sent) / 1000,
  };
}

/**
 * POST -> queryable delay at a steady rate. Every batch holds 1,000 consecutive nanosecond
 * timestamps, so one query grouped by time(1000ns) counts each batch not yet confirmed and
 * only those: the probe costs InfluxDB the same at the end of the run as at the start (a
 * count over the whole measurement would grow with it and slow the writes it measures).
 * A batch is timed when the poll that finds it complete ends, which can only overstate.
 */
async function latency(ingest, token, rate) {
  const measurement = `latency_${Date.now()}`;
  const size = 1000;
  const interval = (size / rate) * 1000;
  const base = BigInt(Date.now()) * 1_000_000n;
  const baseSecond = (base / 1_000_000_000n) * 1_000_000_000n;
  const offset = sequence % size;
  const sends = [];
  const start = performance.now();
  let sending = true;
  const delays = [];
  const poller = (async () => {
    const waiting = new Map();
    let next = 0;
    while (sending || waiting.size > 0 || next < sends.length) {
      for (; next < sends.length; next++) waiting.set(sends[next].from, sends[next]);
      if (waiting.size > 0) {
        const from = [...waiting.keys()].reduce((a, b) => (a < b ? a : b));
        const to = sends[next - 1].to;
        const result = await influx(
          `SELECT count(value) FROM "${measurement}" WHERE time >= ${from} AND time <= ${to} ` +
            `GROUP BY time(${size}ns, ${offset}ns) fill(none)`,
          'iotwins_tenant-a',
        );
        const now = performance.now();
        for (const [time, stored] of result.results?.[0]?.series?.[0]?.values ?? []) {
          const entry = waiting.get(BigInt(time));
          if (entry && stored >= size) {
            delays.push(now - entry.at);
            waiting.delete(entry.from);
          }
        }
      }
      if (!sending && performance.now() - start > (LATENCY_SECONDS + 60) * 1000) break;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const requests = [];
  for (let i = 0; performance.now() - start < LATENCY_SECONDS * 1000; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const first = sequence;
    const body = batch(measurement, size, base);
    const entry = {
      from: baseSecond + BigInt(first),
      to: baseSecond + BigInt(sequence - 1),
      at: performance.now(),
    };
    sends.push(entry);
    requests.push(
      fetch(`${ingest.baseUrl}/write?db=tenant-a`, {
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${token}` },
      }),
    );
  }
  await Promise.all(requests);
  sending = false;
  await poller;
  delays.sort((x, y) => x - y);
  const pick = (q) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))];
  return {
    batches: sends.length,
    confirmed: delays.length,
    rate: (sends.length * size) / LATENCY_SECONDS,
    p50: pick(0.5),
    p99: pick(0.99),
  };
}

async function main() {
  console.log(
    `telemetry benchmark: ${SECONDS} s per run, batches of ${BATCH} points, ${INFLIGHT} requests in flight to ingest`,
  );
  const ceiling = await direct();
  console.log(
    `(a) straight to InfluxDB /write (3 in flight):   ${Math.round(ceiling).toLocaleString('en')} points/s`,
  );

  const [ingest, timeseries] = await Promise.all([
    startAppProcess('ingest'),
    startAppProcess('timeseries'),
  ]);
  try {
    const token = await tokens.gatewayA();
    const result = await platform(ingest, token);
    console.log(
      `(b) HTTP POST -> queryable through the platform: ${Math.round(result.endToEndRate).toLocaleString('en')} points/s ` +
        `(${result.acknowledged.toLocaleString('en')} points acknowledged, ${result.failed} batches refused; ` +
        `POST rate ${Math.round(result.postRate).toLocaleString('en')} points/s, backlog drained ${result.drainSeconds.toFixed(1)} s after the last POST)`,
    );
    console.log(`(c) b / a = ${(result.endToEndRate / ceiling).toFixed(2)}`);
    const half = result.endToEndRate / 2;
    const delay = await latency(ingest, token, half);
    console.log(
      `(d) at ${Math.round(delay.rate).toLocaleString('en')} points/s (half of b), batches of 1,000: ` +
        `POST -> queryable p50 ${delay.p50.toFixed(0)} ms, p99 ${delay.p99.toFixed(0)} ms over ${delay.batches} batches` +
        (delay.confirmed < delay.batches
          ? ` (${delay.batches - delay.confirmed} never became queryable)`
          : ''),
    );
  } finally {
    await Promise.all([ingest.stop(), timeseries.stop()]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
