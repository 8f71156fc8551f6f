import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
 * URLs chosen by tenants (connector sources, sinks) as an attacker would choose them: the
 * platform's own internal endpoints (here NATS monitoring, which answers anyone), a name that
 * resolves to loopback, a redirect from an allowed host to an internal one, the cloud metadata
 * address. Ingest runs with only 127.0.0.2 allowed (OUTBOUND_ALLOWED_CIDRS), as a plant network.
 */
describe('outbound guard: tenant-chosen URLs cannot reach internal addresses', () => {
  let ingest: AppProcess;
  let timeseries: AppProcess;
  let token: string;
  let plantApi: Server;
  let plantUrl: string;
  const natsMonitor = `http://127.0.0.1:${requireEnv('NATS_MONITOR_PORT')}/varz`;
  const created: string[] = [];

  beforeAll(async () => {
    // The allowed "plant" API: its own data, and a redirect to an internal address.
    plantApi = createServer((request, response) => {
      if (request.url === '/redirect') {
        response.writeHead(302, { location: natsMonitor }).end();
        return;
      }
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ readings: [{ v: 42, at: '2026-11-30T10:00:00Z' }] }));
    });
    await new Promise<void>((done) => plantApi.listen(0, '127.0.0.2', done));
    plantUrl = `http://127.0.0.2:${(plantApi.address() as AddressInfo).port}`;
    [ingest, timeseries] = await Promise.all([
      startAppProcess('ingest', { OUTBOUND_ALLOWED_CIDRS: '127.0.0.2/32' }),
      startAppProcess('timeseries'),
    ]);
    token = await tokens.gatewayA();
  }, 120_000);

  afterAll(async () => {
    for (const id of created) await call('DELETE', `/v1/connectors/${id}`);
    await Promise.all([ingest?.stop(), timeseries?.stop()]);
    plantApi?.closeAllConnections();
    await new Promise((done) => plantApi?.close(done));
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const answer = await callJsonApi(ingest.baseUrl, token, method, path, body);
    const id = createdConnectorId(method, path, answer);
    if (id) created.push(id);
    return answer.body;
  };

  /** A poller of `url` storing whatever numbers it finds as `measurement`. */
  const poller = (url: string, measurement: string) =>
    call('POST', '/v1/connectors', {
      name: uniqueName('ssrf'),
      type: 'http-poller',
      config: {
        url,
        intervalSeconds: 60,
        // Whatever the URL answers becomes one point: a leak would be stored.
        mapping: `{"measurement": "${measurement}", "fields": {"v": 1}, "time": "2026-11-30T10:00:00Z"}`,
      },
    });

  const failingWith = async (id: string, pattern: RegExp): Promise<void> => {
    await waitFor(`connector ${id} failing`, async () => {
      const { status } = await call('GET', `/v1/connectors/${id}`);
      return status.state === 'failing';
    });
    const { status } = await call('GET', `/v1/connectors/${id}`);
    expect(status.lastError).toMatch(pattern);
    expect(status.pointsWritten).toBe(0);
  };

  const stored = async (measurement: string): Promise<number> => {
    const response = await fetch(
      `${timeseries.baseUrl}/v1/measurements/${measurement}/points?start=2026-11-01T00:00:00Z&end=2026-12-31T00:00:00Z`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    const { series } = (await response.json()) as { series: { points: unknown[] }[] };
    return series.reduce((count, s) => count + s.points.length, 0);
  };

  it('refuses the internal NATS monitoring endpoint by address', async () => {
    const measurement = uniqueName('leak');
    const connector = await poller(natsMonitor, measurement);
    await failingWith(
      connector.id,
      /127\.0\.0\.1 is an internal address the platform does not call for tenants/,
    );
    expect(await stored(measurement)).toBe(0);
  });

  it('refuses a name that resolves to loopback', async () => {
    const connector = await poller(
      `http://localhost:${requireEnv('NATS_MONITOR_PORT')}/varz`,
      uniqueName('leak'),
    );
    await failingWith(connector.id, /localhost is resolved to (127\.0\.0\.1|::1), an internal/);
  });

  it('refuses the cloud metadata address', async () => {
    const connector = await poller('http://169.254.169.254/latest/meta-data/', uniqueName('leak'));
    await failingWith(connector.id, /169\.254\.169\.254 is an internal address/);
  });

  it('reads an allowed plant network, but not where it redirects internally', async () => {
    const allowed = uniqueName('plant');
    const good = await poller(`${plantUrl}/data`, allowed);
    await waitFor('the plant reading stored', async () => (await stored(allowed)) === 1);

    const bounced = await poller(`${plantUrl}/redirect`, uniqueName('leak'));
    await failingWith(bounced.id, /127\.0\.0\.1 is an internal address/);
    const { status } = await call('GET', `/v1/connectors/${good.id}`);
    expect(status).toMatchObject({ state: 'running', pointsWritten: 1 });
  });

  it('never delivers a sink to an internal address: the messages are dead-lettered', async () => {
    const measurement = uniqueName('hook');
    const sink = await call('POST', '/v1/connectors', {
      name: uniqueName('ssrf-sink'),
      type: 'webhook-sink',
      config: {
        url: `http://127.0.0.1:${requireEnv('NATS_MONITOR_PORT')}/varz`,
        secret: { value: 'sink-secret' },
        source: { filter: measurement, maxDeliveries: 1, from: 'all' },
      },
    });
    await waitForSinkConsumer(sink.id as string);
    const written = await fetch(`${ingest.baseUrl}/write?db=tenant-a`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: `${measurement} v=1i`,
    });
    expect(written.status).toBe(204);
    await waitFor('the message dead-lettered', async () => {
      const { status } = await call('GET', `/v1/connectors/${sink.id}`);
      return status.deadLettered === 1;
    });
    const { status } = await call('GET', `/v1/connectors/${sink.id}`);
    expect(status.lastDeadLetter.reason).toMatch(/127\.0\.0\.1 is an internal address/);
    expect(status.pointsWritten).toBe(0);
  });
});
