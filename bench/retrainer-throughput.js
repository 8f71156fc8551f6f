// Retrainer throughput, measured in one run on this machine (issue 13): observations per
// second paired and evaluated with 100 monitors active, published on NATS as edge nodes
// do (JetStream, 100 observations per message), consumed by the retrainer as its own
// process with its state in PostgreSQL. Reports observations/s (a prediction and an actual
// are two observations; a pair is one evaluated sample), pairs/s and the p50/p99 evaluation
// delay from the app's histogram (JetStream stored -> evaluation committed), as bucket bounds.
// Target: at least 50,000 observations per second.
// The model registry is answered by a stub speaking @nestjs/microservices' NATS wire format
// (the registry branch is built in parallel); switch to the real app once it is merged.
// Needs the backing services (bash scripts/services.sh up) and built apps (pnpm build).
// Usage: node bench/retrainer-throughput.js [--pairs 400000] [--monitors 100] [--per-message 100]
//        [--inflight 256] [--rate 0 (observations/s; 0 = as fast as the publisher goes)]
require('reflect-metadata');
const { parseArgs } = require('node:util');
const { performance } = require('node:perf_hooks');
const { URL } = require('node:url');
const { Client } = require('pg');
const { connect } = require('@nats-io/transport-node');
const { jetstream, jetstreamManager } = require('@nats-io/jetstream');
const { applyLocalEnv, startAppProcess, tokens, uniqueName } = require('../libs/testing/dist');

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string' },
    monitors: { type: 'string' },
    'per-message': { type: 'string' },
    inflight: { type: 'string' },
    rate: { type: 'string' },
  },
});
const PAIRS = Number(args.pairs ?? 400_000);
const MONITORS = Number(args.monitors ?? 100);
const PER_MESSAGE = Number(args['per-message'] ?? 100);
const INFLIGHT = Number(args.inflight ?? 256);
const RATE = Number(args.rate ?? 0);
const WINDOW = 1_000;
const TENANT = 'tenant-a';

applyLocalEnv();
const env = process.env;

async function admin(sql) {
  const client = new Client({ connectionString: env.POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Answers version.get for every bench model: version 1 under alias production. */
function registryStub(nc, prefix) {
  const subscription = nc.subscribe(`${prefix}.version.get`);
  (async () => {
    for await (const message of subscription) {
      const packet = message.json();
      const response = {
        model: packet.data.model,
        version: 1,
        status: 'ready',
        aliases: ['production'],
        metrics: { mae: 0.5 },
        lineage: { trainingData: 's3://bench/train' },
      };
      message.respond(JSON.stringify({ id: packet.id, response, isDisposed: true }));
    }
  })();
  return subscription;
}

function quantileFromHistogram(text, name, q) {
  const buckets = [
    ...text.matchAll(new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} ([0-9.e+]+)$`, 'gm')),
  ].map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
  const total = buckets[buckets.length - 1][1];
  const wanted = total * q;
  for (const [le, count] of buckets) if (count >= wanted) return le;
  return Infinity;
}

async function main() {
  const database = uniqueName('retrainer_bench').replace(/-/g, '_');
  const consumer = uniqueName('retrainer-bench');
  const prefix = `svc.model-registry.${consumer}`;
  await admin(`CREATE DATABASE ${database}`);
  const url = new URL(env.POSTGRES_URL);
  url.pathname = `/${database}`;
  const nc = await connect({ servers: env.NATS_URL, user: 'dev', pass: env.NATS_DEV_PASSWORD });
  const stub = registryStub(nc, prefix);
  const app = await startAppProcess('retrainer', {
    POSTGRES_URL: url.toString(),
    MODEL_REGISTRY_SUBJECT_PREFIX: prefix,
    OBSERVATIONS_CONSUMER: consumer,
    ALIAS_REFRESH_MS: '600000',
  });
  try {
    const token = await tokens.alice();
    const models = Array.from({ length: MONITORS }, (_, i) => `bench-${consumer}-${i}`);
    for (const model of models) {
      const response = await fetch(`${app.baseUrl}/v1/monitors`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model,
          alias: 'production',
          task: 'regression',
          metric: 'mae',
          tolerance: { kind: 'relative', maxDegradation: 0.5 },
          window: { kind: 'count', size: WINDOW },
          consecutiveBadWindows: 3,
          actions: { retrain: true },
        }),
      });
      if (response.status !== 201)
        throw new Error(`monitor: ${response.status} ${await response.text()}`);
    }

    // Encode every message before the clock starts: the bench measures the retrainer.
    const messages = [];
    for (let start = 0, m = 0; start < PAIRS; start += PER_MESSAGE, m++) {
      const model = models[m % MONITORS];
      const predictions = [];
      const actuals = [];
      for (let i = start; i < Math.min(start + PER_MESSAGE, PAIRS); i++) {
        const actual = 230 + Math.sin(i) * 4;
        predictions.push({
          id: `o${i}`,
          value: actual + Math.cos(i) * 0.4,
          features: { voltage: actual },
        });
        actuals.push({ id: `o${i}`, value: actual });
      }
      messages.push([`predictions.${TENANT}.${model}`, JSON.stringify(predictions)]);
      messages.push([`actuals.${TENANT}.${model}`, JSON.stringify(actuals)]);
    }

    const js = jetstream(nc);
    const started = performance.now();
    let next = 0;
    let published = 0;
    const perMessageMs = RATE > 0 ? (1000 * PER_MESSAGE) / RATE : 0;
    const publisher = async () => {
      while (next < messages.length) {
        const index = next++;
        if (perMessageMs > 0) {
          const due = started + index * perMessageMs;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        await js.publish(messages[index][0], messages[index][1]);
        published++;
      }
    };
    const publishing = Promise.all(Array.from({ length: INFLIGHT }, publisher)).then(() =>
      performance.now(),
    );

    let paired = 0;
    let windows = 0;
    while (paired < PAIRS) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const response = await fetch(`${app.baseUrl}/v1/monitors`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const { monitors } = await response.json();
      paired = monitors.reduce((sum, m) => sum + m.observations.paired, 0);
      windows = monitors.reduce((sum, m) => sum + m.windowsEvaluated, 0);
      if (performance.now() - started > 600_000) throw new Error(`stalled at ${paired} pairs`);
    }
    const evaluated = performance.now();
    const publishedAt = await publishing;
    const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
    const seconds = (evaluated - started) / 1000;
    const observations = 2 * PAIRS;
    console.log(
      `monitors ${MONITORS}, window ${WINDOW} pairs, ${PER_MESSAGE} observations per message, ${INFLIGHT} publishes in flight${RATE ? `, paced at ${RATE} obs/s` : ''}`,
    );
    console.log(
      `published ${observations} observations (${published} messages) in ${((publishedAt - started) / 1000).toFixed(2)} s: ${Math.round(observations / ((publishedAt - started) / 1000))} obs/s`,
    );
    console.log(
      `paired and evaluated ${PAIRS} pairs = ${observations} observations in ${seconds.toFixed(2)} s: ${Math.round(observations / seconds)} obs/s (${Math.round(PAIRS / seconds)} pairs/s), ${windows} windows`,
    );
    console.log(
      `evaluation delay (stored in JetStream -> committed), bucket upper bounds: p50 <= ${quantileFromHistogram(metrics, 'retrainer_evaluation_delay_seconds', 0.5)} s, p99 <= ${quantileFromHistogram(metrics, 'retrainer_evaluation_delay_seconds', 0.99)} s`,
    );
    const load = require('node:os').loadavg()[0].toFixed(1);
    console.log(
      RATE
        ? `paced run (load average ${load}): throughput is bounded by --rate; read the delay`
        : `target 50000 obs/s: ${observations / seconds >= 50_000 ? 'met' : 'NOT met'} (load average ${load})`,
    );
  } finally {
    await app.stop();
    stub.unsubscribe();
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.delete('OBSERVATIONS', consumer).catch(() => undefined);
    await nc.drain();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
