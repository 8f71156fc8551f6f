import type { NatsConnection } from '@nats-io/nats-core';
import {
  DeadLetterHeader,
  OBSERVATION_DEAD_LETTER_REASON_HEADER,
  observationsDeadLetterSubject,
} from '@iotwins/messaging';
import { tokens, uniqueName, waitFor, type RunningApp } from '@iotwins/testing';
import type { RegistryResponder } from './registry.responder';
import { Api, TENANT, regressionMonitor, RetrainerTestbed } from './retrainer.fixture';

describe('retrainer monitors and observations API', () => {
  const testbed = new RetrainerTestbed('retrainer-api');
  const { database } = testbed;
  let registry: RegistryResponder;
  let running: RunningApp;
  let nc: NatsConnection;
  let alice: Api;
  let bob: Api;
  let carol: Api;
  const model = uniqueName('pq-api');

  beforeAll(async () => {
    ({ registry, nc } = await testbed.start());
    registry.addVersion(
      TENANT,
      model,
      { version: 4, status: 'ready', metrics: { mae: 0.5, accuracy: 0.9 }, lineage: {} },
      ['production'],
    );
    running = await testbed.startApp();
    const [a, b, c] = await Promise.all([tokens.alice(), tokens.bob(), tokens.carol()]);
    alice = new Api(running.baseUrl, a);
    bob = new Api(running.baseUrl, b);
    carol = new Api(running.baseUrl, c);
  });

  afterAll(() => testbed.close());

  it('creates, reads, lists, replaces and deletes a monitor; the webhook secret never comes back', async () => {
    const created = await alice.request(
      'POST',
      '/v1/monitors',
      regressionMonitor(model, {
        tolerance: { kind: 'relative', maxDegradation: 0.2 },
        actions: {
          retrain: true,
          webhook: { url: 'http://127.0.0.1:9/hook', secret: 's'.repeat(32) },
        },
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      model,
      alias: 'production',
      state: 'collecting',
      currentVersion: 4,
      actions: { retrain: true, webhook: { url: 'http://127.0.0.1:9/hook' } },
    });
    expect(created.body.band.baseline).toBe(0.5);
    expect(created.body.band.upper).toBeCloseTo(0.6, 10);
    expect(JSON.stringify(created.body)).not.toContain('sss');
    const id = created.body.id as string;
    const [stored] = await database.query<{ webhook_secret: string }>(
      'SELECT webhook_secret FROM monitors WHERE id = $1',
      [id],
    );
    expect(stored!.webhook_secret).toBe('s'.repeat(32));

    expect((await carol.request('GET', `/v1/monitors/${id}`)).body.id).toBe(id);
    const listed = await alice.request('GET', `/v1/monitors?model=${encodeURIComponent(model)}`);
    expect(listed.body.monitors.map((m: { id: string }) => m.id)).toEqual([id]);

    const replaced = await alice.request(
      'PUT',
      `/v1/monitors/${id}`,
      regressionMonitor(model, { metric: 'rmse' }),
    );
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id, metric: 'rmse', band: { upper: 1 } });
    expect((await alice.transitions(id)).map((t) => t.reason)).toEqual([
      'monitor created on version 4 (alias production)',
      'monitor changed; collecting again on version 4',
    ]);

    expect((await alice.request('DELETE', `/v1/monitors/${id}`)).status).toBe(204);
    expect((await alice.request('GET', `/v1/monitors/${id}`)).status).toBe(404);
    expect(
      await database.query('SELECT 1 FROM monitor_transitions WHERE monitor_id = $1', [id]),
    ).toEqual([]);
  });

  it('keeps tenants and roles apart', async () => {
    const created = await alice.request('POST', '/v1/monitors', regressionMonitor(model));
    const id = created.body.id as string;
    const other = await bob.request('GET', `/v1/monitors/${id}`);
    expect(other.status).toBe(404);
    expect((await bob.request('DELETE', `/v1/monitors/${id}`)).status).toBe(404);
    const readOnly = await carol.request('POST', '/v1/monitors', regressionMonitor(model));
    expect(readOnly.status).toBe(403);
    expect((await alice.request('GET', '/v1/monitors/not-a-uuid')).status).toBe(404);
  });

  it.each([
    [
      'a window of 0',
      { window: { kind: 'count', size: 0 } },
      '/window/size',
      'window size must be at least 1',
    ],
    [
      'a metric that does not fit the task',
      { metric: 'accuracy' },
      '/metric',
      'metric accuracy does not fit task regression',
    ],
    ['both alias and version', { version: 3 }, '/alias', 'give exactly one of alias and version'],
    [
      'an absolute tolerance without bounds',
      { tolerance: { kind: 'absolute' } },
      '/tolerance',
      'an absolute tolerance needs min, max or both',
    ],
    ['an unknown field', { windw: 3 }, '', 'windw'],
  ])(
    'refuses %s with 400 naming the field, and stores nothing',
    async (_what, change, pointer, detail) => {
      const before = await database.query('SELECT id FROM monitors');
      const response = await alice.request(
        'POST',
        '/v1/monitors',
        regressionMonitor(model, change),
      );
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        type: 'urn:iotwins:problem:validation-failed',
        status: 400,
      });
      expect(response.body.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            pointer: expect.stringContaining(pointer),
            detail: expect.stringContaining(detail),
          }),
        ]),
      );
      expect(await database.query('SELECT id FROM monitors')).toEqual(before);
    },
  );

  it('asks the registry: a monitor on a missing model or alias is a 422, and nothing is stored', async () => {
    const before = await database.query('SELECT id FROM monitors');
    const missing = await alice.request(
      'POST',
      '/v1/monitors',
      regressionMonitor(uniqueName('no-such-model')),
    );
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ type: 'urn:iotwins:problem:model-not-found' });
    expect(missing.body.detail).toContain('does not exist');
    const alias = await alice.request(
      'POST',
      '/v1/monitors',
      regressionMonitor(model, { alias: 'canary' }),
    );
    expect(alias.status).toBe(422);
    expect(alias.body.detail).toContain('alias "canary"');
    const noBaseline = await alice.request(
      'POST',
      '/v1/monitors',
      regressionMonitor(model, {
        metric: 'mape',
        tolerance: { kind: 'relative', maxDegradation: 0.1 },
      }),
    );
    expect(noBaseline.status).toBe(422);
    expect(noBaseline.body.type).toBe('urn:iotwins:problem:no-validation-metric');
    const noProfile = await alice.request(
      'POST',
      '/v1/monitors',
      regressionMonitor(model, { drift: { windowSize: 10 } }),
    );
    expect(noProfile.status).toBe(422);
    expect(noProfile.body.type).toBe('urn:iotwins:problem:no-input-profile');
    expect(await database.query('SELECT id FROM monitors')).toEqual(before);
    expect(
      registry.callsOf('version.get', model).some((call) => call.data.alias === 'canary'),
    ).toBe(true);
  });

  it('accepts a REST batch, pairs it, and refuses a batch with NaN or a wrong type whole', async () => {
    const restModel = uniqueName('pq-rest');
    registry.addVersion(
      TENANT,
      restModel,
      { version: 1, status: 'ready', metrics: {}, lineage: {} },
      ['production'],
    );
    const id = (await alice.request('POST', '/v1/monitors', regressionMonitor(restModel))).body
      .id as string;
    const path = `/v1/models/${restModel}/observations`;

    const accepted = await alice.request('POST', path, {
      predictions: [
        { id: 'r1', value: 10 },
        { series: 'feeder-7', timestamp: '2026-12-01T04:00:00Z', value: 12 },
      ],
      actuals: [
        { id: 'r1', value: 11 },
        { series: 'feeder-7', timestamp: Date.parse('2026-12-01T04:00:00Z'), value: 12.5 },
      ],
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ model: restModel, predictions: 2, actuals: 2 });
    await waitFor('two pairs', async () => (await alice.monitor(id)).observations.paired === 2);

    const nan = await alice.request('POST', path, '{"predictions":[{"id":"r2","value":NaN}]}');
    expect(nan.status).toBe(400);
    const wrong = await alice.request('POST', path, {
      predictions: [{ id: 'r3', value: 1 }, { id: 'r4', value: { volts: 3 } }, { value: 2 }],
      actuals: [{ id: 'r3', value: 1 }],
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(
      expect.arrayContaining(['/predictions/1/value', '/predictions/2']),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const monitor = await alice.monitor(id);
    // r3 was valid but came in a refused batch: nothing of it was stored.
    expect(monitor.observations).toMatchObject({
      paired: 2,
      pendingPredictions: 0,
      pendingActuals: 0,
    });
  });

  it('dead-letters a NATS message with a bad observation, naming the reason', async () => {
    const natsModel = uniqueName('pq-nats');
    registry.addVersion(
      TENANT,
      natsModel,
      { version: 1, status: 'ready', metrics: {}, lineage: {} },
      ['production'],
    );
    const id = (await alice.request('POST', '/v1/monitors', regressionMonitor(natsModel))).body
      .id as string;
    const deadLetters: { reason: string | undefined; body: string }[] = [];
    const subscription = nc.subscribe(observationsDeadLetterSubject(TENANT), {
      callback: (error, message) => {
        if (!error && message.headers?.get(DeadLetterHeader.Subject)?.endsWith(natsModel))
          deadLetters.push({
            reason: message.headers?.get(OBSERVATION_DEAD_LETTER_REASON_HEADER),
            body: message.string(),
          });
      },
    });
    try {
      const { jetstream } = await import('@nats-io/jetstream');
      const js = jetstream(nc);
      await js.publish(
        `predictions.${TENANT}.${natsModel}`,
        JSON.stringify({ id: 'x', value: null }),
      );
      await js.publish(`actuals.${TENANT}.${natsModel}`, 'not json');
      await waitFor('two dead letters', async () => deadLetters.length === 2);
      expect(deadLetters[0]!.reason).toContain('/value');
      expect(deadLetters[0]!.body).toBe('{"id":"x","value":null}');
      expect(deadLetters[1]!.reason).toBe('the body is not JSON');
      await waitFor(
        'invalid count',
        async () => (await alice.monitor(id)).observations.invalid === 2,
      );
    } finally {
      subscription.unsubscribe();
    }
  });
});
