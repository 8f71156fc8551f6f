import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';
import { RetrainerEventType } from '@iotwins/messaging';
import { tokens, uniqueName, waitFor, type RunningApp } from '@iotwins/testing';
import type { RegistryResponder } from './registry.responder';
import {
  Api,
  EventLog,
  type JsonBody,
  TENANT,
  publishObservations,
  regressionMonitor,
  windowOf,
  RetrainerTestbed,
} from './retrainer.fixture';

/**
 * Monitors judged end to end: observations published on the real NATS as edge nodes do,
 * state in a PostgreSQL database of this spec, the registry answering over NATS
 * request-reply (RegistryResponder until the registry branch is merged).
 */
describe('retrainer evaluation', () => {
  const testbed = new RetrainerTestbed('retrainer-eval');
  let registry: RegistryResponder;
  let running: RunningApp;
  let nc: NatsConnection;
  let api: Api;
  let events: EventLog;

  beforeAll(async () => {
    ({ registry, nc } = await testbed.start());
    events = testbed.eventLog(TENANT);
    running = await testbed.startApp();
    api = new Api(running.baseUrl, await tokens.alice());
  });

  afterAll(() => testbed.close());

  const lineage = {
    trainingData: { bucket: 'pq-training', key: 'grid-2026-11.parquet' },
    runId: 'run-17',
  };

  async function createMonitor(
    model: string,
    overrides: Record<string, unknown> = {},
  ): Promise<string> {
    const created = await api.request('POST', '/v1/monitors', regressionMonitor(model, overrides));
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  async function publishWindow(
    model: string,
    prefix: string,
    size: number,
    error: number,
    version?: number,
  ) {
    const { predictions, actuals } = windowOf(prefix, size, error, version);
    await publishObservations(nc, TENANT, model, 'prediction', predictions);
    await publishObservations(nc, TENANT, model, 'actual', actuals);
  }

  it('a stream whose error grows triggers one retrain request and one deactivation, at the second bad window', async () => {
    const model = uniqueName('pq-forecast');
    registry.addVersion(
      TENANT,
      model,
      { version: 1, status: 'ready', metrics: { mae: 0.3 }, lineage },
      ['production'],
    );
    const id = await createMonitor(model);

    const errors = [0.2, 0.4, 0.6, 0.8, 1.2, 1.6, 2.0, 2.4];
    for (const [index, error] of errors.entries())
      await publishWindow(model, `w${index}`, 20, error);

    await waitFor(
      'one deactivation',
      async () => events.of(RetrainerEventType.ModelDeactivated, id).length === 1,
    );
    // Later bad windows (or windows of no version) must not cause a second action.
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    const retrains = events.of(RetrainerEventType.RetrainRequested, id);
    expect(retrains).toHaveLength(1);
    const request = retrains[0]!.data as {
      version: number;
      history: JsonBody[];
      trainingData: unknown;
      model: string;
      runId: string;
    };
    expect(request.model).toBe(model);
    expect(request.version).toBe(1);
    expect(request.trainingData).toEqual(lineage.trainingData);
    expect(request.runId).toBe('run-17');
    const last = request.history[request.history.length - 1];
    expect(last).toMatchObject({
      window: 6,
      metric: 'mae',
      outOfBand: true,
      observations: 20,
      upper: 1,
    });
    expect(last.value).toBeCloseTo(1.6, 6);
    expect(request.history.map((e) => e.outOfBand)).toEqual([
      false,
      false,
      false,
      false,
      true,
      true,
    ]);

    expect(events.of(RetrainerEventType.ModelDeactivated, id)).toHaveLength(1);
    expect(registry.callsOf('alias.set', model)).toHaveLength(1);
    expect(registry.callsOf('alias.set', model)[0]!.data).toMatchObject({
      tenant: TENANT,
      model,
      alias: 'production',
      version: null,
    });
    expect(registry.aliasOf(TENANT, model, 'production')).toBeNull();

    const transitions = await api.transitions(id);
    expect(transitions.map((t) => t.to)).toEqual(
      expect.arrayContaining(['collecting', 'healthy', 'degraded', 'action-taken']),
    );
    const degraded = transitions.filter((t) => t.to === 'degraded');
    expect(degraded).toHaveLength(1);
    expect(degraded[0]!.reason).toContain('2 consecutive window(s) out of band');
    expect(transitions.filter((t) => t.to === 'action-taken')).toHaveLength(1);

    const actions = (await api.request('GET', `/v1/monitors/${id}/actions`)).body
      .actions as JsonBody[];
    expect(actions.map((a) => [a.kind, a.status])).toEqual([
      ['retrain', 'done'],
      ['deactivate', 'done'],
    ]);
    const history = await api.evaluations(id);
    expect(history.slice(0, 6).map((e) => Math.round(e.value * 10) / 10)).toEqual([
      0.2, 0.4, 0.6, 0.8, 1.2, 1.6,
    ]);
  });

  it('a noisy stream that stays in band triggers nothing', async () => {
    const model = uniqueName('pq-noisy');
    registry.addVersion(TENANT, model, { version: 1, status: 'ready', metrics: {}, lineage }, [
      'production',
    ]);
    const id = await createMonitor(model, { consecutiveBadWindows: 1 });
    let seed = 7;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let w = 0; w < 10; w++) {
      const predictions = [];
      const actuals = [];
      for (let i = 0; i < 20; i++) {
        const actual = 50 + random() * 10;
        predictions.push({ id: `n${w}-${i}`, value: actual + (random() - 0.5) * 1.8 });
        actuals.push({ id: `n${w}-${i}`, value: actual });
      }
      await publishObservations(nc, TENANT, model, 'prediction', predictions);
      await publishObservations(nc, TENANT, model, 'actual', actuals);
    }
    await api.waitForWindows(id, 10);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const monitor = await api.monitor(id);
    expect(monitor.state).toBe('healthy');
    expect(monitor.observations.paired).toBe(200);
    const history = await api.evaluations(id);
    expect(history).toHaveLength(10);
    expect(history.every((e) => !e.outOfBand && e.value < 1)).toBe(true);
    expect(events.of(RetrainerEventType.RetrainRequested, id)).toHaveLength(0);
    expect(registry.callsOf('alias.set', model)).toHaveLength(0);
    expect((await api.request('GET', `/v1/monitors/${id}/actions`)).body.actions).toEqual([]);
  });

  it('input drift triggers without any actual value', async () => {
    const model = uniqueName('pq-drift');
    registry.addVersion(
      TENANT,
      model,
      {
        version: 3,
        status: 'ready',
        metrics: {},
        lineage,
        inputProfile: {
          features: {
            voltage: { bins: [220, 225, 230, 235, 240], counts: [250, 250, 250, 250] },
            thd: { bins: [0, 1, 2, 3], counts: [500, 400, 100] },
          },
        },
      },
      ['production'],
    );
    const id = await createMonitor(model, {
      actions: { retrain: true },
      drift: { windowSize: 100, threshold: 0.25, consecutiveBadWindows: 1 },
    });
    const predictions = (from: number, voltage: (i: number) => number) =>
      Array.from({ length: 100 }, (_, i) => ({
        id: `d${from + i}`,
        value: 1,
        // thd spread 50/40/10 over its bins, as in the profile.
        features: { voltage: voltage(i), thd: i % 10 < 5 ? 0.5 : i % 10 < 9 ? 1.5 : 2.5 },
      }));
    // In profile: voltage spread evenly over 220-240.
    await publishObservations(
      nc,
      TENANT,
      model,
      'prediction',
      predictions(0, (i) => 220 + (i % 20)),
    );
    await api.waitForWindows(id, 1);
    expect((await api.monitor(id)).state).toBe('healthy');
    // Then the grid voltage sags out of the reference range.
    await publishObservations(
      nc,
      TENANT,
      model,
      'prediction',
      predictions(100, (i) => 221 + (i % 4) * 0.5),
    );
    await waitFor(
      'the drift retrain request',
      async () => events.of(RetrainerEventType.RetrainRequested, id).length === 1,
    );
    const [request] = events.of(RetrainerEventType.RetrainRequested, id);
    expect(request!.data.reason).toMatch(
      /input drift: population stability index [0-9.]+ above 0.25 \(feature voltage\)/,
    );
    const history = await api.evaluations(id);
    expect(history.map((e) => [e.trigger, e.outOfBand])).toEqual([
      ['drift', false],
      ['drift', true],
    ]);
    const monitor = await api.monitor(id);
    expect(monitor.state).toBe('action-taken');
    expect(monitor.observations.paired).toBe(0);
  });

  it('starts over when a new version takes the alias, and reports the recovery', async () => {
    const model = uniqueName('pq-recover');
    registry.addVersion(TENANT, model, { version: 1, status: 'ready', metrics: {}, lineage }, [
      'production',
    ]);
    const id = await createMonitor(model, { consecutiveBadWindows: 1, actions: { retrain: true } });
    await publishWindow(model, 'a', 20, 0.5, 1);
    await publishWindow(model, 'b', 20, 3, 1);
    await waitFor(
      'the retrain request',
      async () => events.of(RetrainerEventType.RetrainRequested, id).length === 1,
    );

    // The retrained model is registered and promoted, as the training pipeline would.
    registry.addVersion(TENANT, model, {
      version: 2,
      status: 'ready',
      metrics: {},
      lineage: { runId: 'run-18' },
    });
    registry.pointAlias(TENANT, model, 'production', 2);
    await waitFor(
      'the monitor to follow the alias',
      async () => (await api.monitor(id)).currentVersion === 2,
    );
    // Stale predictions of version 1 no longer count; version 2 is judged from scratch.
    await publishWindow(model, 'c', 20, 3, 1);
    await publishWindow(model, 'd', 20, 0.3, 2);
    await waitFor('recovery', async () =>
      (await api.transitions(id)).some((t) => t.to === 'recovered'),
    );

    const transitions = await api.transitions(id);
    expect(transitions.map((t) => t.to)).toEqual([
      'collecting',
      'healthy',
      'degraded',
      'action-taken',
      'collecting',
      'recovered',
    ]);
    expect(transitions[4]!.reason).toContain('now points to version 2');
    expect(transitions[5]).toMatchObject({ version: 2 });
    expect(transitions[5]!.reason).toContain('after version 1 degraded');
    const history = await api.evaluations(id);
    expect(history.map((e) => [e.version, e.outOfBand])).toEqual([
      [1, false],
      [1, true],
      [2, false],
    ]);
    expect(events.of(RetrainerEventType.RetrainRequested, id)).toHaveLength(1);
    await waitFor(
      'state events',
      async () => events.of(RetrainerEventType.MonitorStateChanged, id).length >= 5,
    );
    const changes = events.of(RetrainerEventType.MonitorStateChanged, id).map((e) => e.data.to);
    expect(changes).toEqual(expect.arrayContaining(['degraded', 'action-taken']));
  });

  it('calls the webhook signed with HMAC-SHA256, retrying until it answers 2xx', async () => {
    const model = uniqueName('pq-hook');
    registry.addVersion(TENANT, model, { version: 1, status: 'ready', metrics: {}, lineage }, [
      'production',
    ]);
    const secret = 'webhook-secret-of-this-spec';
    const calls: { headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        calls.push({ headers: request.headers, body });
        // The receiver is down twice before it takes the call.
        response.statusCode = calls.length <= 2 ? 503 : 204;
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/retrain`;
      const id = await createMonitor(model, {
        consecutiveBadWindows: 1,
        actions: { webhook: { url, secret } },
      });
      await publishWindow(model, 'h', 20, 5);
      await waitFor('the third webhook attempt', async () => calls.length === 3);
      await waitFor('the action done', async () => {
        const actions = (await api.request('GET', `/v1/monitors/${id}/actions`)).body
          .actions as JsonBody[];
        return actions[0]?.status === 'done';
      });
      const [action] = (await api.request('GET', `/v1/monitors/${id}/actions`)).body
        .actions as JsonBody[];
      expect(action).toMatchObject({
        kind: 'webhook',
        status: 'done',
        attempts: 3,
        result: { status: 204 },
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(calls).toHaveLength(3);
      for (const call of calls) {
        const timestamp = call.headers['x-iotwins-timestamp'] as string;
        const expected = createHmac('sha256', secret)
          .update(`${timestamp}.${call.body}`)
          .digest('hex');
        expect(call.headers['x-iotwins-signature']).toBe(`sha256=${expected}`);
        // One delivery id across the retries, so the receiver can drop duplicates.
        expect(call.headers['x-iotwins-delivery']).toBe(action.id);
      }
      const payload = JSON.parse(calls[2]!.body);
      expect(payload).toMatchObject({ id: action.id, data: { monitorId: id, model, version: 1 } });
      expect(payload.data.history[0]).toMatchObject({ outOfBand: true, value: 5 });
    } finally {
      server.close();
    }
  });
});
