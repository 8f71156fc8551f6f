import type { NatsConnection } from '@nats-io/nats-core';
import { RetrainerEventType } from '@iotwins/messaging';
import {
  startAppProcess,
  tokens,
  uniqueName,
  waitFor,
  type AppProcess,
  type RunningApp,
} from '@iotwins/testing';
import {
  Api,
  EventLog,
  TENANT,
  publishObservations,
  regressionMonitor,
  windowOf,
  RetrainerTestbed,
} from './retrainer.fixture';

/**
 * The retrainer against the real model registry (apps/model-registry/dist as a process, on
 * its default request-reply subjects): versions, validation metric and lineage come from the
 * registry's REST API, and the deactivation moves the registry's own alias. Needs both apps
 * built.
 */
describe('retrainer with the real model registry', () => {
  const testbed = new RetrainerTestbed('retrainer-registry', { realRegistry: true });
  let registryApp: AppProcess;
  let running: RunningApp;
  let nc: NatsConnection;
  let events: EventLog;
  let token: string;
  let api: Api;

  const registry = (method: string, path: string, body?: RequestInit['body'], json?: unknown) =>
    fetch(`${registryApp.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: json !== undefined ? JSON.stringify(json) : body,
    });

  async function uploadVersion(model: string, content: string, metadata: unknown): Promise<number> {
    const form = new FormData();
    form.append('metadata', JSON.stringify(metadata));
    form.append('file', new Blob([content]), 'model.onnx');
    const response = await registry('POST', `/v1/models/${model}/versions`, form);
    expect(response.status).toBe(201);
    return ((await response.json()) as { version: number }).version;
  }

  beforeAll(async () => {
    ({ nc } = await testbed.start());
    registryApp = await startAppProcess('model-registry');
    events = testbed.eventLog(TENANT);
    running = await testbed.startApp();
    token = await tokens.alice();
    api = new Api(running.baseUrl, token);
  });

  afterAll(async () => {
    await testbed.close();
    await registryApp?.stop();
  });

  it('judges against the registry’s validation metric, requests a retrain with its lineage and moves its alias to the fallback', async () => {
    const model = uniqueName('pq-real');
    expect((await registry('POST', '/v1/models', undefined, { name: model })).status).toBe(201);
    const trainingData = { kind: 'objects', bucket: 'pq-training', keys: ['grid-2026-11.parquet'] };
    const metadata = {
      framework: { name: 'onnx', version: '1.17.0' },
      metrics: { mae: 0.4 },
      validationMetric: { name: 'mae', value: 0.4 },
      lineage: { trainingData, codeRevision: 'c0ffee1', runId: 'run-90' },
    };
    const degraded = await uploadVersion(model, `weights ${model} 1`, metadata);
    const fallback = await uploadVersion(model, `weights ${model} 2`, metadata);
    const aliased = await registry('PUT', `/v1/models/${model}/aliases/production`, undefined, {
      version: degraded,
    });
    expect(aliased.status).toBe(200);

    const missing = await api.request(
      'POST',
      '/v1/monitors',
      regressionMonitor(uniqueName('no-model')),
    );
    expect(missing.status).toBe(422);
    expect(missing.body.type).toBe('urn:iotwins:problem:model-not-found');

    const created = await api.request(
      'POST',
      '/v1/monitors',
      regressionMonitor(model, {
        tolerance: { kind: 'relative', maxDegradation: 0.5 },
        actions: { retrain: true, deactivate: { fallbackVersion: fallback } },
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ currentVersion: degraded, band: { baseline: 0.4 } });
    expect(created.body.band.upper).toBeCloseTo(0.6, 10);
    const id = created.body.id as string;

    // MAE per window: in band (<= 0.6) twice, then out of band twice: degraded at window 4.
    for (const [index, error] of [0.3, 0.5, 0.8, 1.1].entries()) {
      const { predictions, actuals } = windowOf(`r${index}`, 20, error, degraded);
      await publishObservations(nc, TENANT, model, 'prediction', predictions);
      await publishObservations(nc, TENANT, model, 'actual', actuals);
    }
    await waitFor(
      'the deactivation',
      async () => events.of(RetrainerEventType.ModelDeactivated, id).length === 1,
    );

    const [request] = events.of(RetrainerEventType.RetrainRequested, id);
    expect(request!.data).toMatchObject({
      model,
      version: degraded,
      trainingData,
      codeRevision: 'c0ffee1',
      runId: 'run-90',
    });
    const alias = await registry('GET', `/v1/models/${model}/aliases/production`);
    expect(((await alias.json()) as { version: number }).version).toBe(fallback);
    await waitFor(
      'the monitor to follow the alias to the fallback',
      async () => (await api.monitor(id)).currentVersion === fallback,
    );

    const { predictions, actuals } = windowOf('r-fallback', 20, 0.2, fallback);
    await publishObservations(nc, TENANT, model, 'prediction', predictions);
    await publishObservations(nc, TENANT, model, 'actual', actuals);
    await waitFor('recovery on the fallback', async () =>
      (await api.transitions(id)).some((t) => t.to === 'recovered'),
    );
    expect(events.of(RetrainerEventType.RetrainRequested, id)).toHaveLength(1);
    expect((await api.transitions(id)).map((t) => t.to)).toEqual([
      'collecting',
      'healthy',
      'degraded',
      'action-taken',
      'collecting',
      'recovered',
    ]);
  });
});
