import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { verifyWebhook } from '@iotwins/http';
import {
  type AppProcess,
  callJsonApi,
  createdConnectorId,
  requireEnv,
  startAppProcess,
  tokens,
  uniqueName,
  waitFor,
  waitForSinkConsumer,
} from '@iotwins/testing';

/**
 * The webhook sink end to end: telemetry written through HTTP ingest reaches a local receiver
 * through the connector's durable consumer, signed; a failing receiver is retried and its
 * messages dead-lettered without holding up another connector of the same tenant.
 */
describe('connectors: webhook sink', () => {
  const SECRET = 'receiver-secret-5c2a';

  /** A receiver that keeps what it was sent, verified, and answers as told. */
  class Receiver {
    readonly deliveries: { id: string; body: string; valid: boolean; at: number }[] = [];
    answer = 204;
    delayMs = 0;
    readonly server: Server = createServer(
      (request, response) => void this.handle(request, response),
    );

    get url(): string {
      return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    }

    lines(): string[] {
      const seen = new Set<string>();
      return this.deliveries
        .filter((delivery) => delivery.valid && !seen.has(delivery.id) && seen.add(delivery.id))
        .flatMap((delivery) => delivery.body.split('\n').filter(Boolean));
    }

    private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      if (this.delayMs) await new Promise((done) => setTimeout(done, this.delayMs));
      this.deliveries.push({
        id: String(request.headers['x-iotwins-delivery']),
        body,
        at: Date.now(),
        valid: verifyWebhook(SECRET, {
          timestamp: String(request.headers['x-iotwins-timestamp']),
          body,
          signature: String(request.headers['x-iotwins-signature']),
        }),
      });
      response.writeHead(this.answer).end();
    }
  }

  let ingest: AppProcess;
  let tokenA: string;
  let tokenB: string;
  const receivers: Receiver[] = [];
  const created: string[] = [];

  const receiver = async (): Promise<Receiver> => {
    const made = new Receiver();
    await new Promise<void>((done) => made.server.listen(0, '127.0.0.1', done));
    receivers.push(made);
    return made;
  };

  let nc: NatsConnection;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    nc = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
    });
    jsm = await jetstreamManager(nc);
    ingest = await startAppProcess('ingest', {});
    [tokenA, tokenB] = await Promise.all([tokens.gatewayA(), tokens.gatewayB()]);
  }, 120_000);

  afterAll(async () => {
    for (const id of created) await call('DELETE', `/v1/connectors/${id}`);
    await ingest?.stop();
    await nc?.close();
    for (const made of receivers) {
      made.server.closeAllConnections();
      await new Promise((done) => made.server.close(done));
    }
  });

  const call = async (method: string, path: string, body?: unknown, token = tokenA) => {
    const answer = await callJsonApi(ingest.baseUrl, token, method, path, body);
    const id = createdConnectorId(method, path, answer);
    if (id) created.push(id);
    return answer;
  };

  const write = async (lines: string[], token = tokenA): Promise<void> => {
    const tenant = token === tokenA ? 'tenant-a' : 'tenant-b';
    const response = await fetch(`${ingest.baseUrl}/write?db=${tenant}&precision=ns`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: lines.join('\n'),
    });
    expect(response.status).toBe(204);
  };

  const sink = (url: string, measurement: string, extra: Record<string, unknown> = {}) => ({
    name: uniqueName('hook'),
    type: 'webhook-sink',
    config: {
      url,
      secret: { value: SECRET },
      format: 'line-protocol',
      ...extra,
      source: { filter: measurement, ...((extra.source as object) ?? {}) },
    },
  });

  const status = async (id: string) => (await call('GET', `/v1/connectors/${id}`)).body.status;

  it('refuses a bad sink configuration naming every wrong field', async () => {
    const { status: code, body } = await call('POST', '/v1/connectors', {
      name: 'bad',
      type: 'webhook-sink',
      config: {
        url: 'ftp://example.com',
        secret: { sealed: 'forged' },
        source: { filter: 'a b', maxDeliveries: 0 },
      },
    });
    expect(code).toBe(400);
    const pointers = (body.errors as { pointer: string }[]).map((error) => error.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining([
        '/config/url',
        '/config/source/filter',
        '/config/source/maxDeliveries',
      ]),
    );
    const unknownType = await call('POST', '/v1/connectors', {
      name: 'bad',
      type: 'carrier-pigeon',
      config: {},
    });
    expect(unknownType.status).toBe(400);
    expect(unknownType.body.errors[0]).toMatchObject({ pointer: '/type' });
    expect(unknownType.body.errors[0].detail).toContain('"webhook-sink"');
    const forged = await call('POST', '/v1/connectors', {
      ...sink('http://127.0.0.1:1/hook', 'm'),
      config: { url: 'http://127.0.0.1:1/hook', secret: { sealed: 'Zm9yZ2Vk' } },
    });
    expect(forged.status).toBe(400);
    expect(forged.body.errors).toEqual([
      { pointer: '/config/secret', detail: 'a secret is sent as { "value": "..." }' },
    ]);
  });

  it("delivers the tenant's new telemetry once, signed, and nothing of another tenant", async () => {
    const target = await receiver();
    const measurement = uniqueName('hooked');
    const created = await call('POST', '/v1/connectors', sink(target.url, measurement));
    expect(created.status).toBe(201);
    expect(created.body.config.secret).toEqual({ set: true });
    expect(JSON.stringify(created.body)).not.toContain(SECRET);
    // Its durable starts at "new": give it a moment to exist before writing.
    await waitForSinkConsumer(created.body.id);

    const lines = Array.from(
      { length: 30 },
      (_, i) =>
        `${measurement},site=s${i % 3} value=${i}i ${1_790_000_000_000_000_000n + BigInt(i)}`,
    );
    await write(lines.slice(0, 10));
    await write(lines.slice(10));
    await write([`${measurement},site=intruder value=999i 1790000000000000999`], tokenB);

    await waitFor('30 lines delivered', async () => target.lines().length >= 30, {
      timeoutMs: 20_000,
    });
    await new Promise((done) => setTimeout(done, 1_000));
    expect(target.deliveries.every((delivery) => delivery.valid)).toBe(true);
    expect(target.lines().sort()).toEqual([...lines].sort());
    const final = await status(created.body.id);
    expect(final).toMatchObject({ state: 'running', deadLettered: 0, pointsWritten: 30 });
    expect(final.recordsRead).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('retries a failing receiver, dead-letters after maxDeliveries, and never slows another sink', async () => {
    const broken = await receiver();
    broken.answer = 500;
    broken.delayMs = 300;
    const healthy = await receiver();
    const measurement = uniqueName('hooked');
    const failing = await call(
      'POST',
      '/v1/connectors',
      sink(broken.url, measurement, {
        source: { maxDeliveries: 3, retryDelaySeconds: 0.2 },
      }),
    );
    const working = await call('POST', '/v1/connectors', sink(healthy.url, measurement));
    expect([failing.status, working.status]).toEqual([201, 201]);
    await Promise.all([waitForSinkConsumer(failing.body.id), waitForSinkConsumer(working.body.id)]);

    await write([`${measurement},site=a value=1i 1790000000000000001`]);
    await waitFor('the healthy sink delivered', async () => healthy.lines().length === 1, {
      timeoutMs: 10_000,
    });
    await waitFor(
      'the message dead-lettered after 3 deliveries',
      async () => (await status(failing.body.id)).deadLettered === 1,
      { timeoutMs: 20_000 },
    );
    const dead = await status(failing.body.id);
    expect(dead.state).toBe('failing');
    expect(dead.lastError).toMatch(/answered 500/);
    expect(dead.lastDeadLetter.reason).toMatch(/3 deliveries failed: POST .* answered 500/);
    expect(broken.deliveries).toHaveLength(3);

    // The broken receiver now hangs past the sink's timeout on every call; the healthy sink
    // keeps delivering at its own pace meanwhile.
    broken.delayMs = 5_000;
    const sentAt = Date.now();
    await write([`${measurement},site=a value=2i 1790000000000000002`]);
    await waitFor('the healthy sink delivered again', async () => healthy.lines().length === 2, {
      timeoutMs: 10_000,
    });
    expect(healthy.deliveries.at(-1)!.at - sentAt).toBeLessThan(3_000);
  }, 60_000);

  it('removes its durable consumer when deleted', async () => {
    const target = await receiver();
    const made = await call('POST', '/v1/connectors', sink(target.url, uniqueName('gone')));
    await waitForSinkConsumer(made.body.id);
    expect((await call('DELETE', `/v1/connectors/${made.body.id}`)).status).toBe(204);
    await expect(jsm.consumers.info('TELEMETRY', `connector-${made.body.id}`)).rejects.toThrow(
      /not found/,
    );
    expect((await call('GET', `/v1/connectors/${made.body.id}`)).status).toBe(404);
    expect((await call('GET', `/v1/connectors/${made.body.id}`, undefined, tokenB)).status).toBe(
      404,
    );
  });
});
