// Parquet import to queryable, in points per second (issue 15): a Parquet file of N points
// (written here with hyparquet-writer, snappy, as a gateway's job would) is uploaded through
// the objectstore into a tenant's import folder; the clock runs from the upload until
// timeseries answers count() = N, i.e. through the objectstore event, ingest's file-import
// connector (S3 range reads, validation, JetStream) and the writer into InfluxDB.
// bench/connectors-throughput.js calls measureParquetImport(env) with the apps it started;
// standalone it starts ingest, timeseries and objectstore itself.
// Needs the backing services (bash scripts/services.sh up) and built apps (pnpm build).
// Usage: node bench/connectors-parquet.js [--points 500000] [--runs 3]
require('reflect-metadata');
const { parseArgs } = require('node:util');
const { randomBytes } = require('node:crypto');
const { applyLocalEnv, startAppProcess, tokens } = require('../libs/testing/dist');

/**
 * One Parquet import, measured.
 * @param {{ ingest: { baseUrl: string }, timeseries: { baseUrl: string },
 *           objectstore: { baseUrl: string }, token: string, points?: number }} env
 *   apps as libs/testing startAppProcess returns them, a tenant-a token (tokens.gatewayA()),
 *   and the number of points (default 500,000).
 * @returns {Promise<{ points: number, fileBytes: number, reportSeconds: number,
 *   queryableSeconds: number, pointsPerSecond: number }>}
 */
async function measureParquetImport(env) {
  const points = env.points ?? 500_000;
  const auth = { authorization: `Bearer ${env.token}` };
  const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const bucket = `bench-parquet-${suffix}`;
  const measurement = `bench_parquet_${suffix.replace(/-/g, '_')}`;
  const json = (body) => ({
    ...auth,
    'content-type': 'application/json',
    body: JSON.stringify(body),
  });
  const call = async (url, method, body) => {
    const { body: text, ...headers } = body === undefined ? auth : json(body);
    const response = await fetch(url, { method, headers, body: text });
    if (response.status >= 300)
      throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  };
  await call(`${env.objectstore.baseUrl}/v1/buckets`, 'POST', {
    name: bucket,
    acl: 'tenant-write',
  });
  const connector = await call(`${env.ingest.baseUrl}/v1/connectors`, 'POST', {
    name: `bench ${suffix}`,
    type: 'file-import',
    config: { bucket, prefix: 'bench/', measurement, tags: ['host'] },
  });
  try {
    const file = await parquetFile(points);
    const key = 'bench/points.parquet';
    const started = performance.now();
    const put = await fetch(`${env.objectstore.baseUrl}/v1/buckets/${bucket}/objects/${key}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/vnd.apache.parquet' },
      body: file,
    });
    if (put.status !== 200) throw new Error(`upload: ${put.status} ${await put.text()}`);
    let reportSeconds;
    for (;;) {
      if (reportSeconds === undefined) {
        const report = await fetch(
          `${env.objectstore.baseUrl}/v1/buckets/${bucket}/objects/${key}.import-report.json`,
          { headers: auth },
        );
        if (report.status === 200) {
          const body = await report.json();
          if (body.pointsStored !== points)
            throw new Error(`the import stored ${body.pointsStored} of ${points} points`);
          reportSeconds = (performance.now() - started) / 1000;
        }
      }
      if (reportSeconds !== undefined && (await count(env, measurement)) >= points) break;
      if (performance.now() - started > 600_000) throw new Error('not queryable within 10 minutes');
      await new Promise((done) => setTimeout(done, 100));
    }
    const queryableSeconds = (performance.now() - started) / 1000;
    return {
      points,
      fileBytes: file.length,
      reportSeconds,
      queryableSeconds,
      pointsPerSecond: Math.round(points / queryableSeconds),
    };
  } finally {
    await call(`${env.ingest.baseUrl}/v1/connectors/${connector.id}`, 'DELETE');
    await call(`${env.objectstore.baseUrl}/v1/buckets/${bucket}?force=true`, 'DELETE');
  }
}

/** N points of 20 hosts: time (ns), host (tag), value (double), status (int64). */
async function parquetFile(points) {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const base = BigInt(Date.parse('2026-11-20T00:00:00Z')) * 1_000_000n;
  const time = new Array(points);
  const host = new Array(points);
  const value = new Float64Array(points);
  const status = new BigInt64Array(points);
  for (let i = 0; i < points; i++) {
    time[i] = base + BigInt(i) * 1_000_000n;
    host[i] = `h${i % 20}`;
    value[i] = (i % 1000) / 10;
    status[i] = BigInt(i % 3);
  }
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'time', data: time },
      { name: 'host', data: host },
      { name: 'value', data: value },
      { name: 'status', data: status },
    ],
    schema: [
      { name: 'root', num_children: 4 },
      {
        name: 'time',
        type: 'INT64',
        repetition_type: 'REQUIRED',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' },
      },
      { name: 'host', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      { name: 'value', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      { name: 'status', type: 'INT64', repetition_type: 'REQUIRED' },
    ],
    rowGroupSize: 100_000,
  });
  return Buffer.from(buffer);
}

async function count(env, measurement) {
  const query = encodeURIComponent(`SELECT count(value) FROM "${measurement}"`);
  const response = await fetch(`${env.timeseries.baseUrl}/query?db=tenant-a&q=${query}`, {
    headers: { authorization: `Bearer ${env.token}` },
  });
  if (response.status !== 200) return 0;
  const body = await response.json();
  return body.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0;
}

async function main() {
  const { values: args } = parseArgs({
    options: { points: { type: 'string' }, runs: { type: 'string' } },
  });
  applyLocalEnv();
  const overrides = { INGEST_RATE_LIMIT_POINTS_PER_SECOND: '0', MQTT_ENABLED: 'false' };
  const [ingest, timeseries, objectstore] = await Promise.all([
    startAppProcess('ingest', overrides),
    startAppProcess('timeseries'),
    startAppProcess('objectstore'),
  ]);
  try {
    const token = await tokens.gatewayA();
    const runs = [];
    for (let run = 0; run < Number(args.runs ?? 3); run++) {
      const result = await measureParquetImport({
        ingest,
        timeseries,
        objectstore,
        token,
        points: Number(args.points ?? 500_000),
      });
      runs.push(result);
      console.log(
        `run ${run + 1}: ${result.points} points, ${(result.fileBytes / 1e6).toFixed(1)} MB Parquet: ` +
          `imported (report) in ${result.reportSeconds.toFixed(1)} s, queryable in ` +
          `${result.queryableSeconds.toFixed(1)} s = ${result.pointsPerSecond} points/s`,
      );
    }
    const rates = runs.map((r) => r.pointsPerSecond).sort((a, b) => a - b);
    const middle = rates.length / 2;
    const median =
      rates.length % 2 ? rates[Math.floor(middle)] : (rates[middle - 1] + rates[middle]) / 2;
    console.log(`median: ${Math.round(median)} points/s (Parquet file -> queryable)`);
  } finally {
    await Promise.all([ingest.stop(), timeseries.stop(), objectstore.stop()]);
  }
}

module.exports = { measureParquetImport };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
