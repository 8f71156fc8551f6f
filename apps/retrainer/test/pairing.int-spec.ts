import type { NatsConnection } from '@nats-io/nats-core';
import { tokens, uniqueName, waitFor, type RunningApp } from '@iotwins/testing';
import type { RegistryResponder } from './registry.responder';
import {
  Api,
  TENANT,
  publishObservations,
  regressionMonitor,
  RetrainerTestbed,
} from './retrainer.fixture';

/** Late actuals: paired while within PAIRING_TTL_SECONDS, expired and counted after it. */
describe('retrainer pairing of late actuals', () => {
  const testbed = new RetrainerTestbed('retrainer-pairing');
  const { database } = testbed;
  let registry: RegistryResponder;
  let running: RunningApp;
  let nc: NatsConnection;
  let api: Api;

  beforeAll(async () => {
    ({ registry, nc } = await testbed.start());
    running = await testbed.startApp({ PAIRING_TTL_SECONDS: '3' });
    api = new Api(running.baseUrl, await tokens.alice());
  });

  afterAll(() => testbed.close());

  it('pairs actuals that arrive late, by id or by series and timestamp, and expires those too late', async () => {
    const model = uniqueName('pq-late');
    registry.addVersion(TENANT, model, { version: 1, status: 'ready', metrics: {}, lineage: {} }, [
      'production',
    ]);
    const id = (
      await api.request(
        'POST',
        '/v1/monitors',
        regressionMonitor(model, { window: { kind: 'count', size: 4 }, minObservations: 0 }),
      )
    ).body.id as string;
    const at = '2026-12-01T05:00:00.000Z';
    await publishObservations(nc, TENANT, model, 'prediction', [
      { id: 'p1', value: 10 },
      { id: 'p2', value: 20 },
      { id: 'p3', value: 30 },
      { id: 'p4', value: 40 },
      { id: 'p5', value: 50 },
      { series: 'feeder-2', timestamp: at, value: 7 },
    ]);
    await waitFor(
      'six pending predictions',
      async () => (await api.monitor(id)).observations.pendingPredictions === 6,
    );
    // Committed, not only in memory: the pending rows survive a restart.
    await waitFor(
      'pending rows stored',
      async () => (await database.query('SELECT 1 FROM pending_observations')).length === 6,
    );

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await publishObservations(nc, TENANT, model, 'actual', [
      { id: 'p1', value: 11 },
      { id: 'p2', value: 21 },
      { id: 'p3', value: 31 },
      // The same reading, its time given in milliseconds this time.
      { series: 'feeder-2', timestamp: Date.parse(at), value: 8 },
      { id: 'orphan', value: 1 },
    ]);
    await waitFor('four late pairs', async () => (await api.monitor(id)).observations.paired === 4);
    await waitFor(
      'the window of the four pairs',
      async () => (await api.evaluations(id)).length === 1,
    );
    const [window] = await api.evaluations(id);
    expect(window).toMatchObject({ observations: 4, value: 1 });

    await waitFor(
      'expiry of p4, p5 and the orphan actual',
      async () => {
        const { observations } = await api.monitor(id);
        return observations.expiredPredictions === 2 && observations.expiredActuals === 1;
      },
      { timeoutMs: 10_000 },
    );
    // Too late now: p4's actual finds no prediction and waits (and expires) on its own.
    await publishObservations(nc, TENANT, model, 'actual', { id: 'p4', value: 41 });
    await waitFor(
      'the too-late actual to expire',
      async () => (await api.monitor(id)).observations.expiredActuals === 2,
      {
        timeoutMs: 10_000,
      },
    );
    const monitor = await api.monitor(id);
    expect(monitor.observations).toMatchObject({
      paired: 4,
      expiredPredictions: 2,
      expiredActuals: 2,
      pendingPredictions: 0,
      pendingActuals: 0,
    });
    await waitFor(
      'pending rows gone',
      async () => (await database.query('SELECT 1 FROM pending_observations')).length === 0,
    );
    const [counts] = await database.query<{ counts: Record<string, number> }>(
      'SELECT counts FROM observation_counts WHERE model = $1',
      [model],
    );
    expect(counts!.counts).toMatchObject({ paired: 4, expiredPredictions: 2, expiredActuals: 2 });
  });
});
