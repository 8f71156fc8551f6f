// A simulated testbed: a wind turbine gateway posts JSON readings over HTTP and a
// power-quality meter publishes line protocol over MQTT; then the demo reads them back
// through the query API, archives them in the objectstore and uploads a simulation result
// straight to MinIO through a presigned URL; last, a data scientist registers an anomaly model,
// sets its `production` alias and deploys it to the edge nodes labelled testbed=7. Run by
// scripts/start.sh once the platform is up; `node scripts/demo.js models` runs the last step only.
const mqtt = require('mqtt');

const env = process.env;
const ingest = env.DEMO_INGEST_URL ?? 'http://127.0.0.1:3001';
const timeseries = env.DEMO_TIMESERIES_URL ?? 'http://127.0.0.1:3002';
const objectstore = env.DEMO_OBJECTSTORE_URL ?? 'http://127.0.0.1:3003';
const registry = env.DEMO_MODEL_REGISTRY_URL ?? 'http://127.0.0.1:3004';
const retrainer = env.DEMO_RETRAINER_URL ?? 'http://127.0.0.1:3005';

async function token() {
  const response = await fetch(`${env.AUTH_ISSUER}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'gateway-tenant-a',
      client_secret: env.KEYCLOAK_GATEWAY_TENANT_A_SECRET,
    }),
  });
  if (!response.ok) throw new Error(`Keycloak refused the demo gateway: ${response.status}`);
  return (await response.json()).access_token;
}

async function main() {
  const bearer = `Bearer ${await token()}`;
  const now = Date.now();
  const readings = Array.from({ length: 12 }, (_, i) => ({
    measurement: 'wind_turbine',
    tags: { turbine: 'WT-07', site: 'north-sea' },
    fields: {
      power_kw: Math.round(1500 + 400 * Math.sin(i / 2)),
      wind_speed_ms: Number((9 + 3 * Math.cos(i / 3)).toFixed(2)),
      rotor_rpm: { type: 'integer', value: 14 + (i % 3) },
      status: 'generating',
    },
    time: new Date(now - (12 - i) * 5_000).toISOString(),
  }));
  const posted = await fetch(`${ingest}/v1/points`, {
    method: 'POST',
    headers: {
      authorization: bearer,
      'content-type': 'application/json',
      'idempotency-key': `demo-${now}`,
    },
    body: JSON.stringify({ points: readings }),
  });
  console.log(`HTTP  POST /v1/points: ${posted.status} ${await posted.text()}`);

  // Ingest's own MQTT endpoint: its PUBACK comes only once JetStream stored the readings.
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${env.MQTT_SERVER_PORT ?? 1884}`, {
    username: 'gateway-tenant-a',
    password: env.KEYCLOAK_GATEWAY_TENANT_A_SECRET,
    protocolVersion: 5,
  });
  const lines = Array.from(
    { length: 6 },
    (_, i) =>
      `power_quality,meter=PQ-3,phase=L1 voltage=${(230 + Math.sin(i)).toFixed(2)},thd=${(2.1 + i / 10).toFixed(2)} ${BigInt(now - (6 - i) * 10_000) * 1_000_000n}`,
  );
  const puback = await client.publishAsync('iotwins/tenant-a/telemetry', lines.join('\n'), {
    qos: 1,
  });
  await client.endAsync();
  console.log(
    `MQTT  ingest :${env.MQTT_SERVER_PORT ?? 1884} iotwins/tenant-a/telemetry: ${lines.length} power-quality readings, PUBACK reason ${puback?.reasonCode ?? 0} (stored)`,
  );

  const start = new Date(now - 10 * 60_000).toISOString();
  const end = new Date(now + 60_000).toISOString();
  for (const measurement of ['wind_turbine', 'power_quality']) {
    let series = [];
    for (let attempt = 0; attempt < 40 && series.length === 0; attempt++) {
      const response = await fetch(
        `${timeseries}/v1/measurements/${measurement}/points?start=${start}&end=${end}`,
        {
          headers: { authorization: bearer },
        },
      );
      series = (await response.json()).series ?? [];
      if (series.length === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    console.log(`\nQUERY /v1/measurements/${measurement}/points`);
    for (const { tags, points } of series) {
      for (const point of points.slice(-3))
        console.log(`  ${point.time} ${JSON.stringify(tags)} ${JSON.stringify(point.fields)}`);
      console.log(`  (${points.length} points in this series)`);
    }
  }
  const mean = await fetch(
    `${timeseries}/v1/measurements/wind_turbine/points?start=${start}&end=${end}&fields=power_kw&aggregate=mean&every=30s&fill=none`,
    {
      headers: { authorization: bearer },
    },
  );
  const windows = (await mean.json()).series?.[0]?.points ?? [];
  console.log(
    `\nQUERY mean power_kw per 30 s: ${windows.map((p) => `${p.time.slice(11, 19)}=${Math.round(p.fields.power_kw)}`).join(' ')}`,
  );
  await archive(bearer, start, end);
  await connector(bearer);
  await models();
  await monitoring();
}

/**
 * Testbed 5's case: the platform polls a production API (here a stand-in served by this
 * script, paged with next links and ETags) through an HTTP poller connector.
 */
async function connector(given) {
  const bearer = given ?? `Bearer ${await token()}`;
  const http = require('node:http');
  const { URL } = require('node:url');
  const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const orders = Array.from({ length: 9 }, (_, i) => ({
    id: i + 1,
    line: i % 2 === 0 ? 'L1' : 'L2',
    produced: 110 + i * 3,
    rejects: i % 4,
    at: `${day}T06:${String(i * 5).padStart(2, '0')}:00Z`,
  }));
  const api = http.createServer((request, response) => {
    const after = Number(new URL(request.url, 'http://x').searchParams.get('after') ?? 0);
    const page = orders.filter((o) => o.id > after).slice(0, 4);
    const next = page.length ? `/orders?after=${page.at(-1).id}` : null;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ orders: page, next }));
  });
  await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${api.address().port}/orders`;
  const call = caller(ingest, bearer);
  const mapping =
    'orders.{"measurement": "production", "tags": {"line": line}, "fields": {"produced": {"type": "integer", "value": produced}, "rejects": rejects}, "time": at}';
  const created = await call(
    'POST',
    '/v1/connectors',
    {
      name: `testbed5 production ${Date.now()}`,
      type: 'http-poller',
      config: { url, intervalSeconds: 2, pagination: { type: 'next-link', next: 'next' }, mapping },
    },
    [201],
  );
  console.log(`\nCONNECTOR http-poller ${created.id} polls ${url} (paged, 4 orders a page)`);
  let status = created.status;
  for (let attempt = 0; attempt < 40 && status.pointsWritten < orders.length; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    status = (await call('GET', `/v1/connectors/${created.id}`, undefined, [200])).status;
  }
  console.log(
    `CONNECTOR status ${status.state}: ${status.recordsRead} records read, ${status.pointsWritten} points written, ${status.recordsRefused} refused`,
  );
  const series = await caller(timeseries, bearer)(
    'GET',
    `/v1/measurements/production/points?start=${day}T00:00:00Z&end=${day}T23:59:59Z&fields=produced&aggregate=sum&every=1h&fill=none`,
    undefined,
    [200],
  );
  for (const { tags, points } of series.series ?? [])
    console.log(
      `QUERY production ${JSON.stringify(tags)} produced per hour: ${points.map((p) => p.fields.produced).join(', ')}`,
    );
  await call('DELETE', `/v1/connectors/${created.id}`, undefined, [204]);
  api.close();
}

/** A data scientist's token: alice may write and deploy models of tenant-a. */
async function scientistToken() {
  const response = await fetch(`${env.AUTH_ISSUER}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'iotwins-cli',
      username: 'alice',
      password: env.KEYCLOAK_ALICE_PASSWORD,
    }),
  });
  if (!response.ok) throw new Error(`Keycloak refused the demo scientist: ${response.status}`);
  return (await response.json()).access_token;
}

/** The model registry: register, version, alias `production`, deploy to testbed=7. */
async function models() {
  const bearer = `Bearer ${await scientistToken()}`;
  const call = async (method, path, body, expected) => {
    const response = await fetch(`${registry}${path}`, {
      method,
      headers: {
        authorization: bearer,
        ...(body instanceof FormData || body === undefined
          ? {}
          : { 'content-type': 'application/json' }),
      },
      body: body instanceof FormData || body === undefined ? body : JSON.stringify(body),
    });
    if (!expected.includes(response.status))
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  };
  const model = 'anomalyd';
  await call(
    'POST',
    '/v1/models',
    { name: model, description: 'testbed 7 anomaly detection', tags: { testbed: '7' } },
    [201, 409],
  );
  const form = new FormData();
  form.append(
    'metadata',
    JSON.stringify({
      framework: { name: 'onnx', version: '1.17.0' },
      metrics: { f1: 0.91, accuracy: 0.94 },
      validationMetric: { name: 'f1', value: 0.91 },
      lineage: {
        trainingData: {
          kind: 'objects',
          bucket: 'demo-archive',
          keys: ['exports/wind_turbine.csv'],
        },
        codeRevision: 'demo',
      },
    }),
  );
  // Each run trains "new" weights, so each run adds a version.
  form.append('file', new Blob([`onnx weights trained ${new Date().toISOString()}`]), 'model.onnx');
  const version = await call('POST', `/v1/models/${model}/versions`, form, [201]);
  console.log(
    `\nMODEL ${model} version ${version.version}: ${version.size} B, sha256 ${version.sha256}`,
  );
  await call('PUT', `/v1/models/${model}/aliases/production`, { version: version.version }, [200]);
  console.log(`MODEL ${model}@production -> version ${version.version}`);
  await call(
    'POST',
    '/v1/deployments',
    {
      name: 'anomalyd',
      model,
      alias: 'production',
      selector: 'testbed=7',
      image: 'registry.iotwins.eu/testbed7/anomalyd:1.0',
      env: { ANOMALY_THRESHOLD: '0.8' },
      resources: { limits: { cpu: '500m', memory: '256Mi' } },
    },
    [201, 409],
  );
  const deployment = await call('GET', '/v1/deployments/anomalyd', undefined, [200]);
  console.log(
    `DEPLOY anomalyd (${deployment.kind} on testbed=7, revision ${deployment.revision}, version ${deployment.version}):\n${deployment.manifest}`,
  );
}

/** The objectstore: an export of the readings through the API, a result through a presigned URL. */
async function archive(bearer, start, end) {
  const bucket = 'demo-archive';
  const created = await fetch(`${objectstore}/v1/buckets`, {
    method: 'POST',
    headers: { authorization: bearer, 'content-type': 'application/json' },
    body: JSON.stringify({ name: bucket, acl: 'tenant-read' }),
  });
  if (created.status !== 201 && created.status !== 409)
    throw new Error(
      `objectstore refused the demo bucket: ${created.status} ${await created.text()}`,
    );
  const csv = await (
    await fetch(
      `${timeseries}/v1/measurements/wind_turbine/export?format=csv&start=${start}&end=${end}`,
      { headers: { authorization: bearer } },
    )
  ).text();
  const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const put = await fetch(
    `${objectstore}/v1/buckets/${bucket}/objects/exports/${day}/wind_turbine.csv`,
    {
      method: 'PUT',
      headers: { authorization: bearer, 'content-type': 'text/csv' },
      body: csv,
    },
  );
  const stored = await put.json();
  console.log(
    `\nOBJECT PUT exports/${day}/wind_turbine.csv: ${put.status} ${stored.size} bytes, sha256 ${stored.sha256}`,
  );

  const presigned = await fetch(`${objectstore}/v1/buckets/${bucket}/presigned-urls`, {
    method: 'POST',
    headers: { authorization: bearer, 'content-type': 'application/json' },
    body: JSON.stringify({
      method: 'PUT',
      keys: [`simulations/${day}/wake-model.json`],
      expiresIn: 300,
    }),
  });
  const { urls } = await presigned.json();
  const direct = await fetch(urls[0].url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ turbine: 'WT-07', wakeLossPercent: 7.4 }),
  });
  console.log(`OBJECT presigned PUT straight to MinIO: ${direct.status}`);
  const listing = await (
    await fetch(`${objectstore}/v1/buckets/${bucket}/objects`, {
      headers: { authorization: bearer },
    })
  ).json();
  console.log(
    `OBJECT list ${bucket}: ${listing.objects.map((o) => `${o.key} (${o.size} B)`).join(', ')}`,
  );
}

/** A JSON call to one app as one caller; anything but the expected statuses throws. */
function caller(base, bearer) {
  return async (method, path, body, expected) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: bearer,
        ...(body instanceof FormData || body === undefined
          ? {}
          : { 'content-type': 'application/json' }),
      },
      body: body instanceof FormData || body === undefined ? body : JSON.stringify(body),
    });
    if (!expected.includes(response.status))
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  };
}

/**
 * The retrainer: a power-quality forecast model (grid voltage, 1 s ahead) runs at the edge and
 * its error drifts as the grid changes. Its monitor goes healthy -> degraded, asks for a
 * retraining with the version's training data, and moves the `production` alias back to the
 * previous version, so the edge nodes stop using the degraded one.
 */
async function monitoring() {
  const bearer = `Bearer ${await scientistToken()}`;
  const models = caller(registry, bearer);
  const monitors = caller(retrainer, bearer);
  // A model per run, so reruns start from a clean history.
  const model = `pq-voltage-forecast-${Date.now().toString(36)}`;
  await models('POST', '/v1/models', { name: model, tags: { testbed: '3' } }, [201]);
  const versions = [];
  for (const [trained, mae] of [
    ['2026-10', 0.8],
    ['2026-11', 0.7],
  ]) {
    const form = new FormData();
    form.append(
      'metadata',
      JSON.stringify({
        framework: { name: 'sklearn', version: '1.5.2' },
        metrics: { mae },
        validationMetric: { name: 'mae', value: mae },
        lineage: {
          trainingData: {
            kind: 'timeseries',
            query: { measurement: 'power_quality', fields: ['voltage'], month: trained },
          },
          codeRevision: 'pq-forecast@demo',
        },
      }),
    );
    form.append('file', new Blob([`pq forecast weights ${trained} ${model}`]), 'model.joblib');
    versions.push((await models('POST', `/v1/models/${model}/versions`, form, [201])).version);
  }
  const [previous, current] = versions;
  await models('PUT', `/v1/models/${model}/aliases/production`, { version: current }, [200]);
  console.log(`\nMODEL ${model}@production -> version ${current} (validation MAE 0.7 V)`);

  const monitor = await monitors(
    'POST',
    '/v1/monitors',
    {
      model,
      alias: 'production',
      task: 'regression',
      metric: 'mae',
      tolerance: { kind: 'relative', maxDegradation: 0.5 },
      window: { kind: 'count', size: 50 },
      minObservations: 50,
      consecutiveBadWindows: 2,
      actions: { retrain: true, deactivate: { fallbackVersion: previous } },
    },
    [201],
  );
  console.log(
    `MONITOR ${monitor.id}: MAE of windows of 50 within ${monitor.band.upper.toFixed(2)} V (validation MAE + 50%), 2 bad windows in a row act`,
  );

  // The edge: predictions and measured voltages, the error growing window by window.
  const errors = [0.5, 0.6, 0.8, 0.9, 1.3, 1.7, 2.2];
  for (const [window, error] of errors.entries()) {
    const predictions = [];
    const actuals = [];
    for (let i = 0; i < 50; i++) {
      const id = `w${window}-${i}`;
      const volts = 230 + 2 * Math.sin((window * 50 + i) / 9);
      predictions.push({ id, value: volts + (i % 2 ? error : -error), version: current });
      actuals.push({ id, value: volts });
    }
    await monitors('POST', `/v1/models/${model}/observations`, { predictions, actuals }, [202]);
  }
  let transitions = [];
  for (let attempt = 0; attempt < 80; attempt++) {
    transitions = (
      await monitors('GET', `/v1/monitors/${monitor.id}/transitions`, undefined, [200])
    ).transitions;
    if (transitions.some((t) => t.to === 'action-taken')) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const { evaluations } = await monitors(
    'GET',
    `/v1/monitors/${monitor.id}/evaluations`,
    undefined,
    [200],
  );
  for (const e of evaluations)
    console.log(
      `WINDOW ${e.window}: MAE ${e.value.toFixed(2)} V over ${e.observations} pairs ${e.outOfBand ? 'OUT of band' : 'in band'}`,
    );
  for (const t of transitions) console.log(`STATE ${t.from} -> ${t.to}: ${t.reason}`);
  let actions = [];
  for (let attempt = 0; attempt < 40; attempt++) {
    actions = (await monitors('GET', `/v1/monitors/${monitor.id}/actions`, undefined, [200]))
      .actions;
    if (actions.length > 0 && actions.every((a) => a.status !== 'pending')) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  for (const a of actions)
    console.log(
      `ACTION ${a.kind} ${a.status}${a.kind === 'retrain' ? `: events.tenant-a.retrainer.retrain.requested, training data ${JSON.stringify(a.payload.trainingData)}` : ''}`,
    );
  const alias = await models('GET', `/v1/models/${model}/aliases/production`, undefined, [200]);
  console.log(
    `MODEL ${model}@production -> version ${alias.version} (deactivated version ${current})`,
  );
}

const steps = { models, monitoring, connector };
(steps[process.argv[2]] ?? main)().catch((error) => {
  console.error(`demo failed: ${error.message}`);
  process.exit(1);
});
