import { loadConfig } from '@iotwins/config';
import {
  appEnv,
  startServiceApp,
  tokens,
  uniqueName,
  waitFor,
  type RunningApp,
} from '@iotwins/testing';
import { timeseriesEnvSchema } from '../src/app.config';
import { APP_NAME, TimeseriesModule } from '../src/app.module';
import { databaseExists, natsAsDev, publishTelemetry, storedCount } from './timeseries.fixture';

const start = (): Promise<RunningApp> =>
  startServiceApp(
    TimeseriesModule.forRoot(loadConfig(timeseriesEnvSchema, appEnv(APP_NAME))),
    APP_NAME,
  );

/** A tenant's retention: set by an admin once, kept across restarts, never blocking writes. */
describe('tenant retention', () => {
  let app: RunningApp | undefined;
  let operator: string;
  let nats: Awaited<ReturnType<typeof natsAsDev>>;

  beforeAll(async () => {
    [app, operator, nats] = await Promise.all([start(), tokens.operator(), natsAsDev()]);
  });
  afterAll(async () => {
    await app?.close();
    await nats?.nc.close();
  });

  const retention = (tenant: string, init: RequestInit = {}) =>
    fetch(`${app!.baseUrl}/v1/tenants/${tenant}/retention`, {
      ...init,
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
    });
  const put = (tenant: string, duration: string) =>
    retention(tenant, { method: 'PUT', body: JSON.stringify({ duration }) });

  it('keeps a changed retention, and the writes, after the app restarts', async () => {
    const tenant = uniqueName('retained');
    const measurement = 'm';
    expect(await (await put(tenant, '52w')).json()).toEqual({ duration: '8736h0m0s' });

    // A new process (a restart, or another replica) must not fight the changed retention.
    await app!.close();
    app = await start();
    await publishTelemetry(nats.js, tenant, measurement, ['m v=1i 1795514400000000000']);
    await waitFor('the point written after the restart', async () => {
      return (await storedCount(tenant, measurement)) === 1;
    });
    expect(await (await retention(tenant)).json()).toEqual({ duration: '8736h0m0s' });
  });

  it('reads the retention of a tenant without data without creating its database', async () => {
    const tenant = uniqueName('unseen');
    const response = await retention(tenant);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ duration: '0s' });
    expect(await databaseExists(tenant)).toBe(false);
  });

  it('refuses a retention longer than InfluxDB can hold, and a tenant that is no name', async () => {
    const tenant = uniqueName('forever');
    const tooLong = await put(tenant, '999999w');
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({
      type: 'urn:iotwins:problem:validation-failed',
      errors: [{ pointer: '/duration' }],
    });
    expect(await databaseExists(tenant)).toBe(false);
    for (const bad of ['bad.tenant', 'a%20b', 'a*b']) {
      const response = await retention(bad);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ type: 'urn:iotwins:problem:invalid-tenant' });
    }
    expect((await put('bad.tenant', '1d')).status).toBe(400);
  });
});
