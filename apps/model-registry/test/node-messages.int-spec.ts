import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import {
  MODEL_REGISTRY_NODES_CONSUMER,
  NODES_STREAM,
  nodeHeartbeatSubject,
  nodeStatusSubject,
} from '@iotwins/messaging';
import { requireEnv, uniqueName, waitFor, type RunningApp } from '@iotwins/testing';
import { Api, json, principals, startRegistry } from './model-registry.fixture';

const METRICS_TOKEN = 'node-messages-spec';

/**
 * Issue 19: model-registry consumes what tenants' nodes publish on nodes.<tenant>.<node>.*.
 * A NUL, invalid UTF-8, a 1 MB body, invalid JSON, wrong types, nesting the store refuses or
 * a field path for the store ("a.b", "$set") must never crash or stall the consumer every
 * tenant shares: each is dropped and counted (with a bounded copy in the log), and a witness
 * node of another tenant keeps being recorded meanwhile.
 */
describe('model-registry node consumer survives every message, against the real NATS and FerretDB', () => {
  let app: RunningApp;
  let tenantA: Api;
  let tenantB: Api;
  let nc: NatsConnection;
  let js: JetStreamClient;
  const node = uniqueName('poisoned');
  const witness = uniqueName('witness');

  async function dropped(): Promise<number> {
    const response = await fetch(`${app.baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    const text = await response.text();
    return [...text.matchAll(/^model_registry_node_messages_dropped_total\{([^}]*)\} (\d+)/gm)]
      .filter(([, labels]) => labels!.includes('tenant="tenant-a"'))
      .reduce((sum, [, , count]) => sum + Number(count), 0);
  }

  async function witnessAgent(): Promise<string | undefined> {
    const view = await json<{ runtime: { agent?: string } }>(
      await tenantB.request('GET', `/v1/nodes/${witness}`),
    );
    return view.runtime.agent;
  }

  /**
   * Publishes a heartbeat, as a node does periodically, until the registry recorded it; the
   * time from the first. Periodic because every replica shares the durable consumer: a beat
   * taken by another process (another checkout's registry on a shared NATS, its own database)
   * is not recorded here, the next one is.
   */
  async function beatUntilRecorded(
    subject: string,
    agent: string,
    recorded: () => Promise<string | undefined>,
  ): Promise<number> {
    const started = Date.now();
    let last = 0;
    await waitFor(
      `the heartbeat ${agent} on ${subject} recorded`,
      async () => {
        if ((await recorded()) === agent) return true;
        if (Date.now() - last >= 500) {
          last = Date.now();
          await js.publish(subject, JSON.stringify({ runtime: { agent } }));
        }
        return false;
      },
      { timeoutMs: 15_000 },
    );
    return Date.now() - started;
  }

  beforeAll(async () => {
    const [started, who] = await Promise.all([startRegistry({ METRICS_TOKEN }), principals()]);
    app = started;
    tenantA = new Api(app.baseUrl, who.writer);
    tenantB = new Api(app.baseUrl, who.otherTenant);
    expect(
      (
        await tenantA.request('POST', '/v1/nodes', {
          json: { name: node, runtime: { agent: '1' } },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await tenantB.request('POST', '/v1/nodes', {
          json: { name: witness, runtime: { agent: 'start' } },
        })
      ).status,
    ).toBe(201);
    nc = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
    });
    js = jetstream(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await app?.close();
  });

  it('drops and counts each poison message, keeps recording the witness, and stays healthy', async () => {
    const deep = `{"runtime":{"x":${'['.repeat(200)}${']'.repeat(200)}}}`;
    const heartbeat = nodeHeartbeatSubject('tenant-a', node);
    const status = nodeStatusSubject('tenant-a', node);
    const poison: Array<[string, Uint8Array | string]> = [
      [heartbeat, JSON.stringify({ runtime: { agent: 'a\u0000b' } })],
      [heartbeat, JSON.stringify({ runtime: { 'k\u0000': 'v' } })],
      [heartbeat, '{"runtime":{"agent":"\\ud800"}}'],
      [heartbeat, new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
      [heartbeat, `{"runtime":{"blob":"${'x'.repeat(1_000_000)}"}}`],
      [heartbeat, '{"runtime": not json'],
      [heartbeat, JSON.stringify({ running: 'everything', time: 42 })],
      [heartbeat, deep],
      [heartbeat, JSON.stringify({ runtime: { $where: 'sleep(1000)' } })],
      [status, JSON.stringify({ deployment: 'a.b', state: 'running' })],
      [status, JSON.stringify({ deployment: '$set', state: 'running' })],
      [status, JSON.stringify({ deployment: 'd\u0000', state: 'running' })],
      [status, JSON.stringify({ deployment: 'd', state: 'exploded' })],
      [nodeHeartbeatSubject('tenant-a', uniqueName('unregistered')), '{}'],
    ];
    // Every replica shares the durable consumer (another process may run one now), so each
    // poison message is followed by its JetStream termination advisory, whoever took it.
    const terminated = new Set<number>();
    const advisories = nc.subscribe(
      `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${NODES_STREAM}.${MODEL_REGISTRY_NODES_CONSUMER}`,
      {
        callback: (_error, message) => {
          terminated.add(message.json<{ stream_seq: number }>().stream_seq);
        },
      },
    );
    await nc.flush();
    const before = await dropped();
    const sequences: number[] = [];
    // The witness is published in between and after the poison: each must be recorded.
    for (const [index, [subject, body]] of poison.entries()) {
      sequences.push((await js.publish(subject, body)).seq);
      if (index % 4 === 0)
        await js.publish(
          nodeHeartbeatSubject('tenant-b', witness),
          JSON.stringify({ runtime: { agent: `w${index}` } }),
        );
    }
    const witnessLatencyMs = await beatUntilRecorded(
      nodeHeartbeatSubject('tenant-b', witness),
      'after-poison',
      witnessAgent,
    );
    try {
      await waitFor(
        'every poison message terminated',
        async () => sequences.every((seq) => terminated.has(seq)),
        { timeoutMs: 20_000 },
      );
    } finally {
      advisories.unsubscribe();
    }
    // This replica counted what it dropped (all of them unless another replica took some;
    // left-overs of an earlier run on the shared stream may add to it).
    const counted = (await dropped()) - before;
    expect(counted).toBeGreaterThan(0);
    console.log(
      `${poison.length} poison node messages terminated (${counted} counted by this replica); ` +
        `witness recorded ${witnessLatencyMs} ms after the last`,
    );

    // The poisoned node's document holds nothing of the poison, and it still takes a good beat.
    await beatUntilRecorded(heartbeat, 'good', async () => {
      const view = await json<{ runtime: { agent?: string } }>(
        await tenantA.request('GET', `/v1/nodes/${node}`),
      );
      return view.runtime.agent;
    });
    const live = await fetch(`${app.baseUrl}/health/live`);
    expect(live.status).toBe(200);
  });

  it('answers the same poison over REST with 400, never a 5xx', async () => {
    for (const [path, body] of [
      [`/v1/nodes/${node}/heartbeats`, { runtime: { agent: 'a\u0000b' } }],
      [`/v1/nodes/${node}/heartbeats`, { runtime: { 'k\u0000': 'v' } }],
      [`/v1/nodes/${node}/status`, { deployment: 'a.b', state: 'running' }],
      [`/v1/nodes/${node}/status`, { deployment: '$set', state: 'running' }],
    ] as const) {
      const response = await tenantA.request('POST', path, { json: body });
      expect([path, response.status]).toEqual([path, 400]);
      await response.arrayBuffer();
    }
  });
});
