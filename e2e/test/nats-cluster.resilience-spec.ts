import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  EVENTS_STREAM,
  TELEMETRY_STREAM,
  TIMESERIES_WRITER_ACK_WAIT_MS,
  TIMESERIES_WRITER_CONSUMER,
  provisionEnvSchema,
  provisionNats,
  provisionOptions,
} from '@iotwins/messaging';
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
 * The platform on the engines' own clustering: a 3-node JetStream cluster started by
 * scripts/nats-cluster.sh (ports and data of its own; the shared servers are not touched),
 * TELEMETRY and EVENTS with 3 replicas, two ingest and two timeseries replicas sharing the
 * load through one durable consumer. Mid-load the node leading TELEMETRY dies with kill -9,
 * then one timeseries replica does. A sender retries what was not acknowledged with the same
 * Idempotency-Key, as the docs tell gateways to. Every acknowledged point must be in
 * InfluxDB, none twice: the stream holds one message per batch and InfluxDB exactly the
 * points sent (their count and the sum of their values).
 */
const cluster = resolve(repoRoot, 'scripts/nats-cluster.sh');
const runCluster = (...args: string[]): string =>
  execFileSync('bash', [cluster, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const BATCHES = 80;
const POINTS_PER_BATCH = 1_500;
const SENDERS = 4;
const BASE_NS = 1_795_514_400_000_000_000n;

describe('scale-out on a 3-node JetStream cluster', () => {
  const tenant = uniqueName('scaleout');
  const measurement = 'load';
  let urls: string[];
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const ingest: AppProcess[] = [];
  const timeseries: AppProcess[] = [];
  let token: string;

  beforeAll(async () => {
    runCluster('down', '--purge');
    runCluster('up');
    urls = runCluster('urls').trim().split(',');
    nc = await connect({
      servers: urls,
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
      maxReconnectAttempts: -1,
    });
    jsm = await jetstreamManager(nc);
    // The operator's provisioning step makes the streams, with 3 replicas as on a production
    // cluster; the apps' own logins may only check that theirs exist.
    const provisioned = await provisionNats(
      nc,
      provisionOptions(
        provisionEnvSchema.parse({
          NATS_URL: urls[0],
          NATS_OPERATOR_USER: 'dev',
          NATS_OPERATOR_PASSWORD: requireEnv('NATS_DEV_PASSWORD'),
          TELEMETRY_STREAM_REPLICAS: '3',
        }),
      ),
    );
    expect(provisioned).toEqual(expect.arrayContaining([TELEMETRY_STREAM, EVENTS_STREAM]));
    // Each replica starts against a different node; the cluster tells clients the others.
    // MQTT is off: these replicas must not join the shared broker's subscription group.
    const common = { MQTT_ENABLED: 'false' };
    for (const replica of [0, 1]) {
      ingest.push(await startAppProcess('ingest', { ...common, NATS_URL: urls[replica]! }));
      timeseries.push(
        await startAppProcess('timeseries', { ...common, NATS_URL: urls[replica + 1]! }),
      );
    }
    token = await tokens.operator();
  }, 240_000);

  afterAll(async () => {
    await Promise.all([...ingest, ...timeseries].map((app) => app.stop('SIGKILL')));
    await nc?.close();
    runCluster('down', '--purge');
    await influx(`DROP DATABASE "iotwins_${tenant}"`).catch(() => undefined);
  }, 60_000);

  it('stores every acknowledged point once through a node crash and a replica crash', async () => {
    const telemetry = await jsm.streams.info(TELEMETRY_STREAM);
    const events = await jsm.streams.info(EVENTS_STREAM);
    expect(telemetry.config.num_replicas).toBe(3);
    expect(events.config.num_replicas).toBe(3);
    expect(telemetry.cluster?.replicas).toHaveLength(2);

    const leader = telemetry.cluster!.leader!;
    const leaderNode = leader.replace(/^iotwins-n/, '');
    let firstTry = 0;
    let retried = 0;
    let next = 0;
    let sent = 0;
    let writtenBeforeKill = 0;
    const timeline: string[] = [];
    const started = Date.now();

    const sendBatch = async (batch: number): Promise<void> => {
      const lines: string[] = [];
      for (let i = 0; i < POINTS_PER_BATCH; i++) {
        const n = batch * POINTS_PER_BATCH + i;
        lines.push(`${measurement},gw=g${n % 8} v=${n}i ${BASE_NS + BigInt(n)}`);
      }
      const body = lines.join('\n');
      // Retries go to the other ingest replica too, with the same key: stored once.
      for (let attempt = 0; ; attempt++) {
        const target = ingest[(batch + attempt) % ingest.length]!;
        const status = await fetch(`${target.baseUrl}/write?db=${tenant}`, {
          method: 'POST',
          body,
          headers: { authorization: `Bearer ${token}`, 'idempotency-key': `${tenant}-${batch}` },
          signal: AbortSignal.timeout(15_000),
        }).then(
          (response) => response.status,
          () => 0,
        );
        if (status === 204) {
          if (attempt === 0) firstTry += 1;
          else retried += 1;
          return;
        }
        if (status !== 0 && status < 500 && status !== 429) {
          throw new Error(`batch ${batch} refused with ${status}`);
        }
        if (attempt > 60) throw new Error(`batch ${batch} never acknowledged (last ${status})`);
        await new Promise((done) => setTimeout(done, 250));
      }
    };

    const sender = async (): Promise<void> => {
      while (next < BATCHES) {
        const batch = next++;
        await sendBatch(batch);
        sent += 1;
        if (sent === Math.floor(BATCHES * 0.3)) {
          runCluster('kill', leaderNode);
          timeline.push(`killed NATS node ${leader} (TELEMETRY leader) after ${sent} batches`);
        }
        if (sent === Math.floor(BATCHES * 0.6)) {
          const at = sent;
          writtenBeforeKill = await pointsWritten(timeseries[0]!);
          await timeseries[0]!.stop('SIGKILL');
          timeline.push(`killed timeseries replica 1 after ${at} batches`);
        }
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, sender));
    const loadSeconds = (Date.now() - started) / 1000;
    const acknowledged = (firstTry + retried) * POINTS_PER_BATCH;
    expect(acknowledged).toBe(BATCHES * POINTS_PER_BATCH);

    // The surviving timeseries replica drains what the dead one held unacknowledged.
    const expectedSum = (BigInt(acknowledged) * BigInt(acknowledged - 1)) / 2n;
    await waitFor(
      `${acknowledged} points in InfluxDB`,
      async () => (await stored(tenant, measurement)).count >= acknowledged,
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    // What the dead replica wrote but never acknowledged is redelivered only once its ack wait
    // is over; the survivor then writes it again (idempotently) and acknowledges it.
    await waitFor(
      'the writer consumer to have nothing pending or unacknowledged',
      async () => {
        const info = await jsm.consumers.info(TELEMETRY_STREAM, TIMESERIES_WRITER_CONSUMER);
        return info.num_pending + info.num_ack_pending === 0;
      },
      { timeoutMs: 4 * TIMESERIES_WRITER_ACK_WAIT_MS + 10_000, intervalMs: 500 },
    );
    const final = await stored(tenant, measurement);
    const after = await jsm.streams.info(TELEMETRY_STREAM);
    const consumer = await jsm.consumers.info(TELEMETRY_STREAM, TIMESERIES_WRITER_CONSUMER);
    runCluster('start', leaderNode);
    const healed = await jsm.streams.info(TELEMETRY_STREAM);
    const writtenBySurvivor = await pointsWritten(timeseries[1]!);

    console.log(
      [
        `scale-out counts (tenant ${tenant}):`,
        ...timeline,
        `batches ${BATCHES} x ${POINTS_PER_BATCH} points by ${SENDERS} senders in ${loadSeconds.toFixed(1)} s`,
        `acknowledged on first try ${firstTry}, after a retry ${retried}; points acknowledged ${acknowledged}`,
        `TELEMETRY messages stored ${after.state.last_seq} (one per batch), new leader ${after.cluster?.leader}`,
        `writer consumer: deliveries ${consumer.delivered.consumer_seq} for ${after.state.last_seq} messages, redelivered now ${consumer.num_redelivered}, pending ${consumer.num_pending}, unacked ${consumer.num_ack_pending}`,
        `points written by timeseries replica 1 before its crash ${writtenBeforeKill}, by replica 2 in all ${writtenBySurvivor}`,
        `InfluxDB points ${final.count}, sum of values ${final.sum} (expected ${expectedSum})`,
        `after restarting ${leader}: replicas ${JSON.stringify(healed.cluster?.replicas?.map((r) => ({ name: r.name, current: r.current })))}`,
      ].join('\n'),
    );

    // The replicas shared the durable consumer: each wrote a part.
    expect(writtenBeforeKill).toBeGreaterThan(0);
    expect(writtenBySurvivor).toBeGreaterThan(0);
    expect(after.state.last_seq).toBe(BATCHES);
    expect(after.cluster?.leader).not.toBe(leader);
    expect(final.count).toBe(acknowledged);
    expect(BigInt(final.sum)).toBe(expectedSum);
    expect(consumer.num_pending + consumer.num_ack_pending).toBe(0);
  }, 360_000);
});

/** What a timeseries replica says it wrote, from its Prometheus metrics. */
async function pointsWritten(app: AppProcess): Promise<number> {
  const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
  return Number(/^timeseries_points_written_total(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
}

async function influx(query: string): Promise<unknown> {
  const url = new URL('/query', requireEnv('INFLUX_URL'));
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${requireEnv('INFLUX_USER')}:${requireEnv('INFLUX_PASSWORD')}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ q: query, epoch: 'ns' }),
  });
  if (!response.ok) throw new Error(`InfluxDB answered ${response.status} to ${query}`);
  return response.json();
}

/** Count and sum of the stored points, read from InfluxDB itself, not through the apps. */
async function stored(
  tenant: string,
  measurement: string,
): Promise<{ count: number; sum: string }> {
  const body = (await influx(
    `SELECT count(v), sum(v) FROM "iotwins_${tenant}".."${measurement}"`,
  ).catch(() => ({}))) as { results?: { series?: { values: [number, number, number][] }[] }[] };
  const row = body.results?.[0]?.series?.[0]?.values[0];
  return { count: row?.[1] ?? 0, sum: String(row?.[2] ?? 0) };
}
