// Readings per second acknowledged by ingest (that is: stored in JetStream), the same batches
// sent two ways in one run on this machine (issue 9):
//   (a) HTTP POST /write (line protocol, Bearer token);
//   (b) NATS request-reply on ingest.tenant-a.<measurement> with the tenant's Keycloak
//       identity (auth callout), answered by ingest once JetStream stored the batch.
// Both paths share ingest's parser, limits and publisher; the per-tenant rate limit is off.
// Needs the backing services (bash scripts/services.sh up) and built apps (pnpm build).
// Usage: node bench/nats-ingest-throughput.js [--seconds 15] [--batch 2000] [--inflight 4]
require('reflect-metadata');
const { parseArgs } = require('node:util');
const { headers: natsHeaders } = require('@nats-io/nats-core');
const { connect } = require('@nats-io/transport-node');
const { applyLocalEnv, startAppProcess, tokens } = require('../libs/testing/dist');

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string' },
    batch: { type: 'string' },
    inflight: { type: 'string' },
  },
});
const SECONDS = Number(args.seconds ?? 15);
const BATCH = Number(args.batch ?? 2000);
const INFLIGHT = Number(args.inflight ?? 4);

applyLocalEnv();
const env = process.env;

let sequence = 0;
/** Line protocol made before the clock starts: 20 hosts x 7 sensors, unique ns times. */
function bodies(measurement) {
  const base = String(BigInt(Date.now()) / 1000n);
  return Array.from({ length: 50 }, () => {
    const lines = new Array(BATCH);
    for (let i = 0; i < BATCH; i++) {
      const n = sequence++;
      lines[i] =
        `${measurement},host=h${n % 20},sensor=s${n % 7} value=${(n % 1000) / 10},status=${n % 3}i ${base}${String(n).padStart(9, '0')}`;
    }
    return Buffer.from(lines.join('\n'));
  });
}

/** Sends batches with INFLIGHT in flight for SECONDS; readings per second acknowledged. */
async function load(send) {
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  let acknowledged = 0;
  let failed = 0;
  let n = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      if (await send(n++)) acknowledged += BATCH;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  return { rate: acknowledged / ((performance.now() - started) / 1000), failed };
}

async function main() {
  const overrides = { INGEST_RATE_LIMIT_POINTS_PER_SECOND: '0', MQTT_ENABLED: 'false' };
  const [ingest, timeseries] = await Promise.all([
    startAppProcess('ingest', overrides),
    startAppProcess('timeseries'),
  ]);
  const token = await tokens.gatewayA();
  const nc = await connect({ servers: env.NATS_URL, token, inboxPrefix: '_INBOX_tenant-a' });
  try {
    const httpBodies = bodies(`bench_http_${Date.now()}`);
    const natsMeasurement = `bench_nats_${Date.now()}`;
    const natsBodies = bodies(natsMeasurement);
    const http = await load(async (n) => {
      const response = await fetch(`${ingest.baseUrl}/write?db=tenant-a`, {
        method: 'POST',
        body: httpBodies[n % httpBodies.length],
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      });
      await response.arrayBuffer();
      return response.status === 204;
    });
    const lineProtocol = natsHeaders();
    lineProtocol.set('Content-Type', 'text/plain');
    const nats = await load(async (n) => {
      try {
        const reply = await nc.request(
          `ingest.tenant-a.${natsMeasurement}`,
          natsBodies[n % natsBodies.length],
          { timeout: 10_000, headers: lineProtocol },
        );
        return reply.json().accepted === BATCH;
      } catch {
        return false;
      }
    });
    const fmt = (rate) => `${Math.round(rate).toLocaleString('en-US')} readings/s`;
    console.log(
      `batch ${BATCH}, ${INFLIGHT} in flight, ${SECONDS} s each, acknowledged = stored in JetStream`,
    );
    console.log(`  (a) HTTP POST /write:            ${fmt(http.rate)} (${http.failed} failed)`);
    console.log(`  (b) NATS request-reply ingest.*: ${fmt(nats.rate)} (${nats.failed} failed)`);
    console.log(`  (b) / (a): ${(nats.rate / http.rate).toFixed(2)}`);
  } finally {
    await nc.close();
    await Promise.all([ingest.stop(), timeseries.stop()]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
