import type { NatsConnection } from '@nats-io/nats-core';
import { maxPayloadOf } from '@iotwins/messaging';
import { tokens, uniqueName, waitFor, type RunningApp } from '@iotwins/testing';
import type { RegistryResponder } from './registry.responder';
import { Api, TENANT, regressionMonitor, RetrainerTestbed } from './retrainer.fixture';

/**
 * The smaller faults of issue 19 at the retrainer's REST door: names and text the stores
 * refuse are a 400 naming the field, a batch that would exceed what NATS takes is a 413 (not
 * a 503 to retry forever), duplicates are ignored and counted, and a webhook to an internal
 * address is refused when the monitor is created.
 */
describe('retrainer edge cases', () => {
  const testbed = new RetrainerTestbed('retrainer-edges');
  let registry: RegistryResponder;
  let nc: NatsConnection;
  let running: RunningApp;
  let api: Api;

  beforeAll(async () => {
    ({ registry, nc } = await testbed.start());
    running = await testbed.startApp();
    api = new Api(running.baseUrl, await tokens.alice());
  });

  afterAll(() => testbed.close());

  function addModel(prefix: string): string {
    const model = uniqueName(prefix);
    registry.addVersion(TENANT, model, { version: 1, status: 'ready', metrics: {}, lineage: {} }, [
      'production',
    ]);
    return model;
  }

  it('answers 400 naming the field for a NUL in a model name or an observation', async () => {
    const path = await api.request('POST', '/v1/models/a%00b/observations', {
      predictions: [{ id: 'x', value: 1 }],
    });
    expect(path.status).toBe(400);
    expect(path.body.detail).toMatch(/^model \(path\) must not contain the NUL/);
    expect(path.body.field).toBe('model');

    const list = await api.request('GET', '/v1/monitors?model=a%00b');
    expect(list.status).toBe(400);
    expect(list.body.errors).toEqual([{ pointer: '/model', detail: expect.stringMatching(/NUL/) }]);

    const created = await api.request('POST', '/v1/monitors', regressionMonitor('a\u0000b'));
    expect(created.status).toBe(400);
    expect(created.body.errors).toEqual(
      expect.arrayContaining([{ pointer: '/model', detail: expect.stringMatching(/NUL/) }]),
    );

    const body = await api.request('POST', `/v1/models/${uniqueName('pq-nul')}/observations`, {
      predictions: [
        { id: 'ok', value: 1 },
        { id: 'a\u0000b', value: 2 },
      ],
    });
    expect(body.status).toBe(400);
    expect(body.body.detail).toMatch(/^\/predictions\/1\/id: must not contain the NUL/);
  });

  it('answers 413 for a body under 1 MiB whose messages would exceed the NATS limit', async () => {
    const limit = maxPayloadOf(nc);
    // 1,000 predictions (one message) of 80 features at 1e21, which JSON.stringify writes as
    // 1e+21: the body fits the 1 MiB body limit, its message grows past what NATS takes.
    const features = Object.fromEntries(
      Array.from({ length: 80 }, (_, i) => [`f${String(i).padStart(3, '0')}`, 1e21]),
    );
    const predictions = Array.from({ length: 1000 }, (_, i) => ({
      id: `p${i}`,
      value: 1,
      features,
    }));
    const text = JSON.stringify({ predictions }).replaceAll('1e+21', '1e21');
    expect(text.length).toBeLessThan(1024 * 1024);
    expect(JSON.stringify(predictions).length).toBeGreaterThan(limit);
    const model = uniqueName('pq-big');
    const answer = await api.request('POST', `/v1/models/${model}/observations`, text);
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ limit: expect.any(Number) });
    expect(answer.body.detail).toMatch(/send fewer observations/);
  });

  it('ignores and counts a duplicate actual after its pair and a reused prediction id', async () => {
    const model = addModel('pq-dup');
    const created = await api.request('POST', '/v1/monitors', regressionMonitor(model));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const post = async (body: unknown) =>
      expect((await api.request('POST', `/v1/models/${model}/observations`, body)).status).toBe(
        202,
      );
    await post({ predictions: [{ id: 'k1', value: 10 }], actuals: [{ id: 'k1', value: 11 }] });
    await waitFor('the pair', async () => (await api.monitor(id)).observations.paired === 1);
    // The actual again (a resend): it must not wait for a prediction reusing the id.
    await post({ actuals: [{ id: 'k1', value: 11 }] });
    // A new prediction reusing the id: it must not pair with that resent actual.
    await post({ predictions: [{ id: 'k1', value: 99 }] });
    // A second prediction of an id that waits: the first one stands.
    await post({ predictions: [{ id: 'k2', value: 20 }] });
    await post({ predictions: [{ id: 'k2', value: 25 }] });
    await waitFor(
      'the duplicates counted',
      async () => {
        const { observations } = await api.monitor(id);
        return observations.duplicatePredictions === 2 && observations.duplicateActuals === 1;
      },
      { timeoutMs: 10_000 },
    );
    const { observations } = await api.monitor(id);
    expect(observations).toMatchObject({
      paired: 1,
      pendingPredictions: 1,
      pendingActuals: 0,
      duplicatePredictions: 2,
      duplicateActuals: 1,
    });
    // The counts are committed ones: PostgreSQL holds the same.
    const [row] = await testbed.database.query<{ counts: Record<string, number> }>(
      'SELECT counts FROM observation_counts WHERE model = $1',
      [model],
    );
    expect(row!.counts).toMatchObject({ paired: 1, duplicatePredictions: 2, duplicateActuals: 1 });
    const metrics = await (await fetch(`${running.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /retrainer_duplicate_observations_total\{kind="actual",app="retrainer"\} 1\n/,
    );
  });

  it('refuses a webhook to an internal address when the monitor is created', async () => {
    const model = addModel('pq-hook');
    for (const url of ['http://169.254.169.254/', 'http://[::ffff:169.254.169.254]/latest']) {
      const answer = await api.request(
        'POST',
        '/v1/monitors',
        regressionMonitor(model, { actions: { webhook: { url, secret: 's'.repeat(32) } } }),
      );
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([
        { pointer: '/actions/webhook/url', detail: expect.stringMatching(/internal address/) },
      ]);
    }
    const fine = await api.request(
      'POST',
      '/v1/monitors',
      regressionMonitor(model, {
        actions: { webhook: { url: 'https://hooks.example/retrain', secret: 's'.repeat(32) } },
      }),
    );
    expect(fine.status).toBe(201);
  });
});
