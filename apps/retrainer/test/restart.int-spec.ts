import type { NatsConnection } from '@nats-io/nats-core';
import { RetrainerEventType } from '@iotwins/messaging';
import { tokens, uniqueName, waitFor, type AppProcess } from '@iotwins/testing';
import type { RegistryResponder } from './registry.responder';
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
 * The built retrainer as a process, killed with SIGKILL in the middle of a stream and
 * started again on the same database and durable: nothing is lost, nothing counted twice,
 * no action repeated. Needs `apps/retrainer/dist` (build first).
 */
describe('retrainer killed mid-stream', () => {
  const testbed = new RetrainerTestbed('retrainer-restart');
  const { database } = testbed;
  let registry: RegistryResponder;
  let nc: NatsConnection;
  let events: EventLog;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    ({ registry, nc } = await testbed.start());
    events = testbed.eventLog(TENANT);
  });

  afterAll(() => testbed.close());

  it('loses no state and repeats no action after kill -9', async () => {
    const settings = { OBSERVATIONS_BATCH_MESSAGES: '4' };
    const model = uniqueName('pq-crash');
    registry.addVersion(
      TENANT,
      model,
      { version: 1, status: 'ready', metrics: {}, lineage: { trainingData: 's3://pq/train' } },
      ['production'],
    );
    app = await testbed.startProcess(settings);
    const token = await tokens.alice();
    let api = new Api(app.baseUrl, token);
    const created = await api.request('POST', '/v1/monitors', regressionMonitor(model));
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    // Error per window: good, good, good, bad, bad (degraded here: 2 in a row), bad...
    const errors = [0.3, 0.5, 0.7, 1.5, 1.8, 2.1, 2.4, 2.7, 3.0, 3.3];
    const publishing = (async () => {
      for (const [index, error] of errors.entries()) {
        const { predictions, actuals } = windowOf(`k${index}`, 20, error);
        // Small messages, so the crash lands between commits of a window.
        for (let i = 0; i < 20; i += 5) {
          await publishObservations(nc, TENANT, model, 'prediction', predictions.slice(i, i + 5));
          await publishObservations(nc, TENANT, model, 'actual', actuals.slice(i, i + 5));
        }
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
    })();
    await api.waitForWindows(id, 3);
    await app.stop('SIGKILL');
    const windowsBeforeCrash = (await database.query('SELECT seq FROM monitor_evaluations')).length;
    await publishing;

    app = await testbed.startProcess(settings);
    api = new Api(app.baseUrl, token);
    await waitFor(
      'every pair evaluated after the restart',
      async () => (await api.monitor(id)).observations.paired === 200,
      {
        timeoutMs: 30_000,
      },
    );
    await waitFor(
      'one deactivation',
      async () => events.of(RetrainerEventType.ModelDeactivated, id).length >= 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    expect(windowsBeforeCrash).toBeLessThan(errors.length);
    const history = await api.evaluations(id);
    // Windows 1 to 6 judged on version 1, each exactly once, with exactly the values sent;
    // after the deactivation the alias points nowhere and the rest is not judged.
    const onVersion1 = history.filter((e) => e.version === 1);
    expect(onVersion1.map((e) => e.window)).toEqual(onVersion1.map((_, i) => i + 1));
    expect(onVersion1.slice(0, 5).map((e) => Math.round(e.value * 10) / 10)).toEqual([
      0.3, 0.5, 0.7, 1.5, 1.8,
    ]);
    expect(onVersion1.every((e) => e.observations === 20)).toBe(true);

    const distinct = (type: string) => new Set(events.of(type, id).map((e) => e.id)).size;
    expect(distinct(RetrainerEventType.RetrainRequested)).toBe(1);
    expect(distinct(RetrainerEventType.ModelDeactivated)).toBe(1);
    expect(registry.callsOf('alias.set', model)).toHaveLength(1);
    const [request] = events.of(RetrainerEventType.RetrainRequested, id);
    expect(request!.data.history).toEqual(
      expect.arrayContaining([expect.objectContaining({ window: 5, outOfBand: true })]),
    );
    const transitions = await api.transitions(id);
    expect(transitions.filter((t) => t.to === 'degraded')).toHaveLength(1);
    expect(transitions.filter((t) => t.to === 'action-taken')).toHaveLength(1);
    const actions = (await api.request('GET', `/v1/monitors/${id}/actions`)).body.actions as {
      kind: string;
      status: string;
    }[];
    expect(actions.map((a) => [a.kind, a.status])).toEqual([
      ['retrain', 'done'],
      ['deactivate', 'done'],
    ]);
    const monitor = await api.monitor(id);
    expect(monitor.observations).toMatchObject({
      paired: 200,
      pendingPredictions: 0,
      pendingActuals: 0,
    });
  });
});
