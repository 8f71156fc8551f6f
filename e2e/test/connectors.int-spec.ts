import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AppProcess,
  callJsonApi,
  createdConnectorId,
  startAppProcess,
  tokens,
  uniqueName,
  waitFor,
} from '@iotwins/testing';

/**
 * The HTTP poller connector end to end: a local JSON API with paging and ETags, two ingest
 * replicas (one runs the connector, the other takes over when it is killed -9), the query API
 * of timeseries reading back exactly what the API served, each record once.
 */
describe('connectors: HTTP poller through ingest -> JetStream -> timeseries', () => {
  const API_TOKEN = 'api-secret-token-7d1f';
  const PAGE_SIZE = 5;

  /** A production API of testbed 5: records by id, pages by an `after` cursor in the next link. */
  class ProductionApi {
    readonly records: {
      id: number;
      line: string;
      produced: number;
      rejects: number;
      at: string;
    }[] = [];
    /** Pages answered 200, by their `after` value: a page read twice shows here. */
    readonly served = new Map<number, number>();
    requests = 0;
    delayMs = 0;
    server: Server;

    constructor() {
      this.server = createServer((request, response) => void this.handle(request, response));
    }

    add(count: number): void {
      for (let i = 0; i < count; i += 1) {
        const id = this.records.length + 1;
        this.records.push({
          id,
          line: id % 2 === 0 ? 'L2' : 'L1',
          produced: 100 + id,
          rejects: id % 3,
          at: new Date(Date.UTC(2026, 10, 24, 8, 0, id)).toISOString(),
        });
      }
    }

    get url(): string {
      return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
      this.requests += 1;
      if (request.headers.authorization !== `Bearer ${API_TOKEN}`) {
        response.writeHead(401).end();
        return;
      }
      const url = new URL(request.url ?? '/', 'http://localhost');
      const after = Number(url.searchParams.get('after') ?? 0);
      const page = this.records.filter((r) => r.id > after).slice(0, PAGE_SIZE);
      const body = JSON.stringify({
        records: page,
        next: page.length > 0 ? `/records?after=${page[page.length - 1]!.id}` : null,
      });
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
      if (this.delayMs) await new Promise((done) => setTimeout(done, this.delayMs));
      if (request.headers['if-none-match'] === etag) {
        response.writeHead(304, { etag }).end();
        return;
      }
      this.served.set(after, (this.served.get(after) ?? 0) + 1);
      response.writeHead(200, { 'content-type': 'application/json', etag }).end(body);
    }
  }

  const mapping = `records.{
    "measurement": $measurement,
    "tags": { "line": line },
    "fields": { "produced": { "type": "integer", "value": produced }, "rejects": rejects },
    "time": at
  }`;

  let api: ProductionApi;
  let ingestA: AppProcess;
  let ingestB: AppProcess;
  let timeseries: AppProcess;
  let token: string;

  beforeAll(async () => {
    api = new ProductionApi();
    await new Promise<void>((done) => api.server.listen(0, '127.0.0.1', done));
    const env = { CONNECTORS_LEASE_SECONDS: '2' };
    [ingestA, ingestB, timeseries] = await Promise.all([
      startAppProcess('ingest', env),
      startAppProcess('ingest', env),
      startAppProcess('timeseries'),
    ]);
    token = await tokens.gatewayA();
  }, 120_000);
  /** Connectors this spec created: removed at the end even when a test failed midway. */
  const created: string[] = [];
  afterAll(async () => {
    const alive = [ingestA, ingestB].find(
      (app) => app && app.process.exitCode === null && !app.process.killed,
    );
    if (alive) for (const id of created) await call(alive, 'DELETE', `/v1/connectors/${id}`);
    await Promise.all([ingestA?.stop(), ingestB?.stop(), timeseries?.stop()]);
    await new Promise((done) => api?.server.close(done));
  });

  const call = async (app: AppProcess, method: string, path: string, body?: unknown) => {
    const answer = await callJsonApi(app.baseUrl, token, method, path, body);
    const id = createdConnectorId(method, path, answer);
    if (id) created.push(id);
    return answer;
  };

  const pollerConfig = (measurement: string, apiToken = API_TOKEN) => ({
    url: `${api.url}/records`,
    intervalSeconds: 1,
    auth: { type: 'bearer', token: { value: apiToken } },
    pagination: { type: 'next-link', next: 'next' },
    mapping: mapping.replace('$measurement', JSON.stringify(measurement)),
  });

  const storedPoints = async (measurement: string) => {
    const response = await fetch(
      `${timeseries.baseUrl}/v1/measurements/${measurement}/points?start=2026-01-01T00:00:00Z&end=2027-01-01T00:00:00Z`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(response.status).toBe(200);
    const { series } = (await response.json()) as {
      series: {
        tags: Record<string, string>;
        points: { time: string; fields: Record<string, unknown> }[];
      }[];
    };
    return series.flatMap((s) => s.points.map((p) => ({ line: s.tags.line, ...p })));
  };

  const expectedPoints = (count: number) =>
    api.records
      .slice(0, count)
      .map((r) => ({
        line: r.line,
        time: r.at.replace('.000Z', '.000000000Z'),
        fields: { produced: { type: 'integer', value: r.produced }, rejects: r.rejects },
      }))
      .sort((a, b) => a.line.localeCompare(b.line) || a.time.localeCompare(b.time));

  it('refuses a bad configuration naming every wrong field', async () => {
    const { status, body } = await call(ingestA, 'POST', '/v1/connectors', {
      name: 'bad',
      type: 'http-poller',
      config: { url: 'ftp://example.com', intervalSeconds: 0, mapping: 'records.{' },
    });
    expect(status).toBe(400);
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { pointer: '/config/url', detail: 'expected an http or https URL' },
        expect.objectContaining({ pointer: '/config/intervalSeconds' }),
      ]),
    );
    const syntax = await call(ingestA, 'POST', '/v1/connectors', {
      name: 'bad',
      type: 'http-poller',
      config: { url: 'http://127.0.0.1:1/x', mapping: 'records.{' },
    });
    expect(syntax.status).toBe(400);
    expect(syntax.body.errors[0].pointer).toBe('/config/mapping');
  });

  it('shows the points a sample document gives (dry run), valid and refused', async () => {
    const { status, body } = await call(ingestA, 'POST', '/v1/connectors/dry-run', {
      mapping: mapping.replace('$measurement', '"output"'),
      sample: {
        records: [
          { line: 'L1', produced: 7, rejects: 0.5, at: '2026-11-24T08:00:00Z' },
          { line: 'L2', produced: 'many', rejects: 1, at: 'yesterday' },
        ],
      },
    });
    expect(status).toBe(200);
    expect(body.records).toBe(2);
    expect(body.points).toEqual([
      {
        measurement: 'output',
        tags: { line: 'L1' },
        fields: {
          produced: { type: 'integer', value: '7' },
          rejects: { type: 'float', value: 0.5 },
        },
        time: '2026-11-24T08:00:00.000000000Z',
      },
    ]);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].index).toBe(1);
  });

  it('reports wrong credentials as failing, never shows the secret, pauses and deletes', async () => {
    const created = await call(ingestA, 'POST', '/v1/connectors', {
      name: uniqueName('wrong-token'),
      type: 'http-poller',
      config: pollerConfig(uniqueName('never'), 'not-the-token'),
    });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain('not-the-token');
    expect(created.body.config.auth).toEqual({ type: 'bearer', token: { set: true } });
    const id = created.body.id as string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a connector view, checked below
    let view: any;
    await waitFor('a failing status', async () => {
      view = (await call(ingestB, 'GET', `/v1/connectors/${id}`)).body;
      return view.status.state === 'failing';
    });
    expect(view.status.lastError).toBe(`GET ${api.url}/records answered 401 Unauthorized`);
    expect(typeof view.status.lastErrorAt).toBe('string');
    expect(JSON.stringify(view)).not.toContain('not-the-token');

    const paused = await call(ingestA, 'POST', `/v1/connectors/${id}/pause`);
    expect(paused.body.status.state).toBe('paused');
    const listed = await call(ingestB, 'GET', '/v1/connectors');
    expect(listed.body.connectors.map((c: { id: string }) => c.id)).toContain(id);
    expect((await call(ingestA, 'DELETE', `/v1/connectors/${id}`)).status).toBe(204);
    expect((await call(ingestB, 'GET', `/v1/connectors/${id}`)).status).toBe(404);
  });

  it('stores every record exactly once across pages, a kill -9 of its replica and new data', async () => {
    const measurement = uniqueName('production');
    api.add(40);
    api.delayMs = 300;
    const created = await call(ingestA, 'POST', '/v1/connectors', {
      name: uniqueName('testbed5'),
      type: 'http-poller',
      config: pollerConfig(measurement),
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    // Mid-run: some pages read, not all. Then kill the replica that holds the lease.
    await waitFor('three pages read', async () => api.served.size >= 3, {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    // Exactly one replica runs it: no page was read by both.
    expect([...api.served.values()].every((count) => count === 1)).toBe(true);
    const runner = (await call(ingestA, 'GET', `/v1/connectors/${id}`)).body.status
      .runner as string;
    const [victim, survivor] =
      runner.split(':')[1] === String(ingestA.process.pid)
        ? [ingestA, ingestB]
        : [ingestB, ingestA];
    expect(runner.split(':')[1]).toBe(String(victim.process.pid));
    await victim.stop('SIGKILL');

    await waitFor('all 40 points', async () => (await storedPoints(measurement)).length >= 40, {
      timeoutMs: 60_000,
    });
    const status = (await call(survivor, 'GET', `/v1/connectors/${id}`)).body.status;
    expect(status.runner.split(':')[1]).toBe(String(survivor.process.pid));
    // At most the page in flight at the kill is read again; JetStream deduplicates its points.
    const rereads = [...api.served.values()].filter((count) => count > 1).length;
    expect(rereads).toBeLessThanOrEqual(1);
    expect([...api.served.values()].every((count) => count <= 2)).toBe(true);

    // New records upstream: only they are read (the empty last page now has content).
    api.delayMs = 0;
    api.add(7);
    await waitFor('all 47 points', async () => (await storedPoints(measurement)).length >= 47, {
      timeoutMs: 30_000,
    });
    const points = await storedPoints(measurement);
    expect(
      points.sort((a, b) => a.line.localeCompare(b.line) || a.time.localeCompare(b.time)),
    ).toEqual(expectedPoints(47));
    // An unchanged API is answered 304: waiting two intervals reads no page again.
    const servedBefore = JSON.stringify([...api.served]);
    await new Promise((done) => setTimeout(done, 2_500));
    expect(JSON.stringify([...api.served])).toBe(servedBefore);

    const final = (await call(survivor, 'GET', `/v1/connectors/${id}`)).body.status;
    expect(final.state).toBe('running');
    expect(final.recordsRefused).toBe(0);
    expect(final.pointsWritten).toBeGreaterThanOrEqual(47);
    expect(final.pointsWritten).toBeLessThanOrEqual(47 + PAGE_SIZE);
    await call(survivor, 'DELETE', `/v1/connectors/${id}`);
  }, 150_000);

  it('reports a mapping that gives no points from the pages as failing, with the reason', async () => {
    if (api.records.length === 0) api.add(3);
    // The replica the test before did not kill.
    const alive = [ingestA, ingestB].find(
      (app) => app.process.exitCode === null && app.process.signalCode === null,
    )!;
    const created = await call(alive, 'POST', '/v1/connectors', {
      name: uniqueName('wrong-mapping'),
      type: 'http-poller',
      // "record" for "records": valid JSONata that matches nothing in the pages.
      config: {
        ...pollerConfig(uniqueName('never')),
        mapping: mapping.replace('records.', 'record.'),
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a connector status, checked below
    let status: any;
    await waitFor('a failing status', async () => {
      status = (await call(alive, 'GET', `/v1/connectors/${id}`)).body.status;
      return status.state === 'failing';
    }).catch((error: Error) => {
      throw new Error(`${error.message}; status ${JSON.stringify(status)}`);
    });
    expect(status.lastError).toBe(
      `GET ${api.url}/records answered, but the mapping gave no points from it (nor ever before): check the mapping against a page with POST /v1/connectors/dry-run`,
    );
    expect(status.pointsWritten).toBe(0);
  });
});
