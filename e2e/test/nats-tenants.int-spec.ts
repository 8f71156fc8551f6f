import {
  PermissionViolationError,
  headers as natsHeaders,
  type NatsConnection,
} from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { nodeCommandSubject, nodeHeartbeatSubject } from '@iotwins/messaging';
import {
  requireEnv,
  startAppProcess,
  tokens,
  uniqueName,
  waitFor,
  type AppProcess,
} from '@iotwins/testing';

interface SeriesOut {
  tags: Record<string, string>;
  points: { time: string; fields: Record<string, unknown> }[];
}

/**
 * Testbed clients on NATS with their Keycloak identity, through the real nats-server, the
 * auth callout of the ingest process and the timeseries writer: what a tenant may do, what it
 * is refused, and that readings published over NATS come back from the query API exactly.
 */
describe('NATS for testbed clients: auth callout and tenant permissions', () => {
  let ingest: AppProcess;
  let timeseries: AppProcess;
  let tokenA: string;
  let tokenB: string;
  const open: NatsConnection[] = [];

  beforeAll(async () => {
    [ingest, timeseries] = await Promise.all([
      startAppProcess('ingest'),
      startAppProcess('timeseries'),
    ]);
    [tokenA, tokenB] = await Promise.all([tokens.gatewayA(), tokens.gatewayB()]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close()));
    await Promise.all([ingest?.stop(), timeseries?.stop()]);
  });

  const asTenant = async (
    tenant: 'tenant-a' | 'tenant-b',
    credentials: { token: string } | { user: string; pass: string },
  ): Promise<NatsConnection> => {
    const nc = await connect({
      servers: requireEnv('NATS_URL'),
      inboxPrefix: `_INBOX_${tenant}`,
      ...credentials,
    });
    open.push(nc);
    return nc;
  };

  /** The refusals the server sent this connection, as "publish x" / "subscription x". */
  const refusals = (nc: NatsConnection): string[] => {
    const seen: string[] = [];
    void (async () => {
      for await (const status of nc.status())
        if (status.type === 'error' && status.error instanceof PermissionViolationError)
          seen.push(`${status.error.operation} ${status.error.subject}`);
    })();
    return seen;
  };

  const query = async (token: string, measurement: string): Promise<SeriesOut[]> => {
    const response = await fetch(
      `${timeseries.baseUrl}/v1/measurements/${encodeURIComponent(measurement)}/points?start=2026-01-01T00:00:00Z&end=2027-01-01T00:00:00Z`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(response.status).toBe(200);
    return ((await response.json()) as { series: SeriesOut[] }).series;
  };
  const stored = async (token: string, measurement: string, count: number) => {
    let series: SeriesOut[] = [];
    await waitFor(`${count} points of ${measurement}`, async () => {
      series = await query(token, measurement);
      return series.reduce((sum, s) => sum + s.points.length, 0) >= count;
    });
    return series;
  };

  it('refuses a bad token, a wrong secret and no credentials at CONNECT', async () => {
    const servers = requireEnv('NATS_URL');
    await expect(connect({ servers, token: `${tokenA}x` })).rejects.toThrow(/Authorization/i);
    await expect(
      connect({ servers, user: 'gateway-tenant-a', pass: 'not-the-secret' }),
    ).rejects.toThrow(/Authorization/i);
    await expect(connect({ servers })).rejects.toThrow(/Authorization/i);
    // A service login's name with a wrong password is not a way in either.
    await expect(connect({ servers, user: 'ingest', pass: 'guess' })).rejects.toThrow(
      /Authorization/i,
    );
  });

  it('stores readings sent by request-reply and answers only once they are stored', async () => {
    const nc = await asTenant('tenant-a', { token: tokenA });
    const measurement = uniqueName('nats-json');
    const reply = await nc.request(
      `ingest.tenant-a.${measurement}`,
      JSON.stringify({
        points: [
          {
            tags: { turbine: 'T-07' },
            time: '2026-11-24T10:00:00.123456789Z',
            fields: { power: 1520.25, running: true },
          },
          {
            tags: { turbine: 'T-07' },
            time: '2026-11-24T10:00:01Z',
            fields: { power: 1499.5, running: true },
          },
        ],
      }),
      { timeout: 10_000 },
    );
    expect(reply.json()).toEqual({ accepted: 2 });
    expect(await stored(tokenA, measurement, 2)).toEqual([
      {
        tags: { turbine: 'T-07' },
        points: [
          { time: '2026-11-24T10:00:00.123456789Z', fields: { power: 1520.25, running: true } },
          { time: '2026-11-24T10:00:01.000000000Z', fields: { power: 1499.5, running: true } },
        ],
      },
    ]);
    expect(await query(tokenB, measurement)).toEqual([]);
  });

  it('takes line protocol with a client id and secret, keeps good lines and lists bad ones as HTTP does', async () => {
    const nc = await asTenant('tenant-a', {
      user: 'gateway-tenant-a',
      pass: requireEnv('KEYCLOAK_GATEWAY_TENANT_A_SECRET'),
    });
    const measurement = uniqueName('nats-lp');
    const h = natsHeaders();
    h.set('Content-Type', 'text/plain');
    const reply = await nc.request(
      `ingest.tenant-a.${measurement}`,
      `${measurement},site=S1 v=1i 1795514400000000000\n${measurement} v=\n${measurement},site=S1 v=2i 1795514401000000000`,
      { timeout: 10_000, headers: h },
    );
    expect(reply.json()).toMatchObject({
      type: 'urn:iotwins:problem:partial-write',
      status: 400,
      written: 2,
      errors: [{ line: 2, detail: expect.any(String) }],
    });
    const [series] = await stored(tokenA, measurement, 2);
    expect(series!.points.map((p) => p.fields.v)).toEqual([
      { type: 'integer', value: 1 },
      { type: 'integer', value: 2 },
    ]);
    const invalid = await nc.request(
      `ingest.tenant-a.${measurement}`,
      JSON.stringify({ fields: {} }),
      { timeout: 10_000 },
    );
    expect(invalid.json()).toMatchObject({
      type: 'urn:iotwins:problem:invalid-points',
      status: 400,
      errors: [expect.objectContaining({ pointer: expect.any(String) })],
    });
  });

  it('stores a fire-and-forget publish too', async () => {
    const nc = await asTenant('tenant-a', { token: tokenA });
    const measurement = uniqueName('nats-fire');
    nc.publish(
      `ingest.tenant-a.${measurement}`,
      JSON.stringify({ time: 1795514400000, fields: { v: 7 } }),
    );
    await nc.flush();
    const [series] = await stored(tokenA, measurement, 1);
    expect(series!.points).toEqual([{ time: '2026-11-24T10:00:00.000000000Z', fields: { v: 7 } }]);
    // Counted, so an operator sees how much arrives unacknowledged.
    const metrics = await (await fetch(`${ingest.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /^ingest_nats_requests_total\{[^}]*outcome="stored-unanswered"[^}]*\} [1-9]/m,
    );
  });

  it('follows live telemetry and catches up through a durable consumer of its own stream', async () => {
    const nc = await asTenant('tenant-a', { token: tokenA });
    const measurement = uniqueName('nats-live');
    const live = nc.subscribe(`telemetry.tenant-a.${measurement}`, { max: 1 });
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    const durable = uniqueName('catch-up');
    await jsm.consumers.add('TENANT_tenant-a', {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      filter_subject: `telemetry.tenant-a.${measurement}`,
    });
    // Offline: two batches arrive while nobody pulls.
    for (const v of [1, 2])
      await nc.request(
        `ingest.tenant-a.${measurement}`,
        JSON.stringify({ time: 1795514400000 + v, fields: { v } }),
        { timeout: 10_000 },
      );
    for await (const message of live)
      expect(message.string()).toBe(`${measurement} v=1 1795514400001000000`);
    const consumer = await js.consumers.get('TENANT_tenant-a', durable);
    const batch = await consumer.fetch({ max_messages: 2, expires: 5_000 });
    const bodies: string[] = [];
    for await (const message of batch) {
      bodies.push(message.string());
      message.ack();
    }
    expect(bodies).toEqual([
      `${measurement} v=1 1795514400001000000`,
      `${measurement} v=2 1795514400002000000`,
    ]);
    await jsm.consumers.delete('TENANT_tenant-a', durable);
  });

  it("a push consumer aimed at another tenant's subjects delivers nothing there", async () => {
    const a = await asTenant('tenant-a', { token: tokenA });
    const b = await asTenant('tenant-b', { token: tokenB });
    const jsm = await jetstreamManager(a, { checkAPI: false });
    const measurement = uniqueName('nats-aimed');
    // NATS does not check a push consumer's deliver subject against its creator's rights;
    // each tenant's account (decision 0012) is what keeps its deliveries inside it. The
    // witness is a tenant-b client listening where tenant-a aims.
    const aimedAt = [`telemetry.tenant-b.${measurement}`, `_INBOX_tenant-b.${measurement}`];
    const witnessed: string[] = [];
    for (const subject of aimedAt)
      b.subscribe(subject, { callback: (_error, message) => void witnessed.push(message.subject) });
    await b.flush();
    // The control: the same consumer aimed at tenant-a's own inbox does deliver, so the
    // witness's silence is the boundary, not a consumer that never ran.
    const own = `_INBOX_tenant-a.${measurement}`;
    const delivered: string[] = [];
    a.subscribe(own, { callback: (_error, message) => void delivered.push(message.string()) });
    await a.flush();
    const durables: string[] = [];
    for (const deliverSubject of [...aimedAt, own]) {
      const durable = uniqueName('aimed');
      await jsm.consumers.add('TENANT_tenant-a', {
        durable_name: durable,
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.New,
        deliver_subject: deliverSubject,
        filter_subject: `telemetry.tenant-a.${measurement}`,
      });
      durables.push(durable);
    }
    const reply = await a.request(
      `ingest.tenant-a.${measurement}`,
      JSON.stringify({ time: 1795514400000, fields: { v: 1 } }),
      { timeout: 10_000 },
    );
    expect(reply.json()).toEqual({ accepted: 1 });
    await waitFor('the control delivery to tenant-a', async () => delivered.length > 0);
    expect(delivered).toEqual([`${measurement} v=1 1795514400000000000`]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(witnessed).toEqual([]);
    // And nothing of it is stored as tenant-b's.
    await stored(tokenA, measurement, 1);
    expect(await query(tokenB, measurement)).toEqual([]);
    for (const durable of durables) await jsm.consumers.delete('TENANT_tenant-a', durable);
  });

  it('an edge node in its tenant account answers commands and reports to the platform', async () => {
    const nodeA = await asTenant('tenant-a', { token: tokenA });
    const node = uniqueName('edge');
    nodeA.subscribe(nodeCommandSubject('tenant-a', node), {
      callback: (_error, message) => void message.respond(JSON.stringify({ accepted: true })),
    });
    await nodeA.flush();
    // The model registry's login, in PLATFORM, commands the node in TENANT_tenant-a.
    const registry = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'model-registry',
      pass: requireEnv('NATS_MODEL_REGISTRY_PASSWORD'),
      inboxPrefix: '_INBOX_model-registry',
    });
    open.push(registry);
    const answer = await registry.request(nodeCommandSubject('tenant-a', node), '{}', {
      timeout: 5_000,
    });
    expect(answer.json()).toEqual({ accepted: true });
    // Nobody of tenant-b answers a command for a tenant-b node of the same name.
    await expect(
      registry.request(nodeCommandSubject('tenant-b', node), '{}', { timeout: 1_000 }),
    ).rejects.toThrow(/no responders|timeout/i);
    // Its heartbeat reaches NODES in PLATFORM, and JetStream's acknowledgement comes back.
    const ack = await jetstream(nodeA, { checkAPI: false }).publish(
      nodeHeartbeatSubject('tenant-a', node),
      JSON.stringify({ running: [] }),
    );
    expect(ack.stream).toBe('NODES');
  });

  it("refuses another tenant's subjects, its consumers, stream administration and $SYS", async () => {
    const a = await asTenant('tenant-a', { token: tokenA });
    const b = await asTenant('tenant-b', { token: tokenB });
    const refusedA = refusals(a);
    const refusedB = refusals(b);
    // tenant-a's durable, which tenant-b must not read even knowing its name.
    const durable = uniqueName('private');
    const jsmA = await jetstreamManager(a, { checkAPI: false });
    await jsmA.consumers.add('TENANT_tenant-a', {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
    });
    const forbidden: [string, () => void][] = [
      ['subscription telemetry.tenant-b.>', () => a.subscribe('telemetry.tenant-b.>')],
      ['subscription events.tenant-b.>', () => a.subscribe('events.tenant-b.>')],
      ['subscription _INBOX_tenant-b.>', () => a.subscribe('_INBOX_tenant-b.>')],
      ['subscription _INBOX.>', () => a.subscribe('_INBOX.>')],
      ['subscription >', () => a.subscribe('>')],
      ['subscription $SYS.>', () => a.subscribe('$SYS.>')],
      ['publish ingest.tenant-b.x', () => a.publish('ingest.tenant-b.x', '{"fields":{"v":1}}')],
      ['publish telemetry.tenant-a.x', () => a.publish('telemetry.tenant-a.x', 'x v=1')],
      ['publish predictions.tenant-b.m', () => a.publish('predictions.tenant-b.m', '{}')],
      ['publish $JS.API.STREAM.CREATE.MINE', () => a.publish('$JS.API.STREAM.CREATE.MINE', '{}')],
      [
        'publish $JS.API.STREAM.DELETE.TENANT_tenant-a',
        () => a.publish('$JS.API.STREAM.DELETE.TENANT_tenant-a'),
      ],
      [
        'publish $JS.API.STREAM.PURGE.TENANT_tenant-a',
        () => a.publish('$JS.API.STREAM.PURGE.TENANT_tenant-a'),
      ],
      [
        'publish $JS.API.CONSUMER.CREATE.TELEMETRY.mine',
        () => a.publish('$JS.API.CONSUMER.CREATE.TELEMETRY.mine', '{}'),
      ],
      [
        'publish $JS.API.STREAM.MSG.GET.TELEMETRY',
        () => a.publish('$JS.API.STREAM.MSG.GET.TELEMETRY', '{}'),
      ],
      ['publish $JS.API.INFO', () => a.publish('$JS.API.INFO')],
      ['publish $SYS.REQ.SERVER.PING', () => a.publish('$SYS.REQ.SERVER.PING')],
    ];
    for (const [, attempt] of forbidden) attempt();
    await a.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(refusedA.sort()).toEqual(forbidden.map(([what]) => what).sort());
    const ofTenantA = ['MSG.NEXT', 'INFO', 'DELETE'].map(
      (op) => `$JS.API.CONSUMER.${op}.TENANT_tenant-a.${durable}`,
    );
    for (const subject of ofTenantA) b.publish(subject, '{"batch":1}');
    await b.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(refusedB.sort()).toEqual(ofTenantA.map((subject) => `publish ${subject}`).sort());
    await jsmA.consumers.delete('TENANT_tenant-a', durable);
  });
});
