// Objectstore throughput, measured in one run on this machine (issue: objectstore):
// PUT and GET of 4 KiB, 1 MiB and 64 MiB objects, through the objectstore API (the app as
// its own process, as in production) and straight to MinIO with the same S3 client the app
// uses (minio-js, from libs/storage), same concurrency, same payloads. Prints MB/s, objects/s
// and API / direct. Target: at least 0.8 for 1 MiB and larger. GETs run twice through the
// API: streamed by the app, and answered with a 307 to a presigned S3 URL (?redirect=true).
// Needs the backing services (bash scripts/services.sh up) and built apps (pnpm build).
// Usage: node bench/objectstore-throughput.js [--seconds 9] [--rounds 3] [--inflight 4] [--sizes 4096,1048576,67108864]
require('reflect-metadata');
const { parseArgs } = require('node:util');
const http = require('node:http');
const { randomBytes } = require('node:crypto');
const { applyLocalEnv, startAppProcess, tokens } = require('../libs/testing/dist');
const { createS3Client } = require('../libs/storage/dist');

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    inflight: { type: 'string' },
    sizes: { type: 'string' },
  },
});
const SECONDS = Number(args.seconds ?? 9);
const ROUNDS = Number(args.rounds ?? 3);
const INFLIGHT = Number(args.inflight ?? 4);
const SIZES = String(args.sizes ?? '4096,1048576,67108864')
  .split(',')
  .map(Number);
/** Distinct keys per size; GETs cycle through them. */
const KEYS = 16;

applyLocalEnv();
const env = process.env;
const agent = new http.Agent({ keepAlive: true, maxSockets: INFLIGHT * 2 });

function label(bytes) {
  return bytes >= 1048576 ? `${bytes / 1048576} MiB` : `${bytes / 1024} KiB`;
}

/** One HTTP exchange with the app; the answer body is read to the end and dropped. */
function call(base, method, path, token, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${base}${path}`,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body
            ? { 'content-type': 'application/octet-stream', 'content-length': body.length }
            : {}),
        },
      },
      (response) => {
        let bytes = 0;
        response.on('data', (chunk) => (bytes += chunk.length));
        response.on('end', () =>
          response.statusCode < 300
            ? resolve(bytes)
            : reject(new Error(`${method} ${path}: ${response.statusCode}`)),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** A GET through the API that answers 307, then the object from where it points. */
async function callRedirected(base, path, token) {
  const location = await new Promise((resolve, reject) => {
    const request = http.request(
      `${base}${path}?redirect=true`,
      { agent, headers: { authorization: `Bearer ${token}` } },
      (response) => {
        response.resume();
        response.on('end', () =>
          response.statusCode === 307
            ? resolve(response.headers.location)
            : reject(new Error(`GET ${path}?redirect=true: ${response.statusCode}`)),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
  return new Promise((resolve, reject) => {
    http
      .get(location, { agent }, (response) => {
        response.resume();
        response.on('end', () =>
          response.statusCode === 200
            ? resolve()
            : reject(new Error(`GET ${location}: ${response.statusCode}`)),
        );
      })
      .on('error', reject);
  });
}

/** Runs `operation` with INFLIGHT in flight for `seconds`; returns objects done and seconds. */
async function measure(operation, seconds) {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await operation(next++ % KEYS);
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  return { done, seconds: (performance.now() - started) / 1000 };
}

/**
 * Measures the ways of doing one thing in alternating rounds, so that drift of the machine
 * (page cache, other processes) falls on all of them alike. Returns objects per second each.
 */
async function compare(operations) {
  const totals = operations.map(() => ({ done: 0, seconds: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, operation] of operations.entries()) {
      const { done, seconds } = await measure(operation, SECONDS / ROUNDS);
      totals[i].done += done;
      totals[i].seconds += seconds;
    }
  }
  return totals.map((t) => t.done / t.seconds);
}

async function drain(stream) {
  for await (const chunk of stream) void chunk;
}

async function main() {
  const app = await startAppProcess('objectstore', { LOG_LEVEL: 'warn' });
  const s3 = createS3Client({
    endpoint: env.S3_ENDPOINT,
    accessKey: env.S3_ACCESS_KEY,
    secretKey: env.S3_SECRET_KEY,
  });
  try {
    let token = await tokens.alice();
    const refresh = setInterval(async () => (token = await tokens.alice()), 60_000);
    const run = Date.now().toString(36);
    const apiBucket = `bench-${run}`;
    const directBucket = `bench-direct-${run}`;
    await new Promise((resolve, reject) => {
      const body = Buffer.from(JSON.stringify({ name: apiBucket }));
      const request = http.request(
        `${app.baseUrl}/v1/buckets`,
        {
          method: 'POST',
          agent,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        },
        (response) => (
          response.resume(),
          response.statusCode === 201
            ? resolve()
            : reject(new Error(`bucket: ${response.statusCode}`))
        ),
      );
      request.end(body);
    });
    await s3.makeBucket(directBucket);

    const rows = [];
    for (const size of SIZES) {
      // At most 256 MiB of payloads in this process; keys share them round robin.
      const payloads = Array.from(
        { length: Math.max(1, Math.min(KEYS, Math.floor(2 ** 28 / size))) },
        () => randomBytes(size),
      );
      const payload = (i) => payloads[i % payloads.length];
      const key = (i) => `bench/${size}/object-${i}.bin`;
      const [directPut, apiPut] = await compare([
        (i) => s3.putObject(directBucket, key(i), payload(i), size),
        (i) =>
          call(app.baseUrl, 'PUT', `/v1/buckets/${apiBucket}/objects/${key(i)}`, token, payload(i)),
      ]);
      // Every key exists before the GETs, however few PUTs the time allowed.
      for (let i = 0; i < KEYS; i++) {
        await s3.putObject(directBucket, key(i), payload(i), size);
        await call(
          app.baseUrl,
          'PUT',
          `/v1/buckets/${apiBucket}/objects/${key(i)}`,
          token,
          payload(i),
        );
      }
      const [directGet, apiGet, apiRedirectedGet] = await compare([
        async (i) => drain(await s3.getObject(directBucket, key(i))),
        (i) => call(app.baseUrl, 'GET', `/v1/buckets/${apiBucket}/objects/${key(i)}`, token),
        (i) => callRedirected(app.baseUrl, `/v1/buckets/${apiBucket}/objects/${key(i)}`, token),
      ]);
      for (const [op, direct, api] of [
        ['PUT', directPut, apiPut],
        ['GET (streamed)', directGet, apiGet],
        ['GET (?redirect=true)', directGet, apiRedirectedGet],
      ]) {
        rows.push({
          object: label(size),
          op,
          'direct MB/s': ((direct * size) / 1e6).toFixed(1),
          'direct obj/s': direct.toFixed(1),
          'API MB/s': ((api * size) / 1e6).toFixed(1),
          'API obj/s': api.toFixed(1),
          'API / direct': (api / direct).toFixed(2),
        });
      }
      console.error(`measured ${label(size)}`);
    }
    clearInterval(refresh);
    console.log(
      `objectstore throughput: ${SECONDS} s per cell, ${INFLIGHT} in flight, ${KEYS} keys per size`,
    );
    console.table(rows);
  } finally {
    await app.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
