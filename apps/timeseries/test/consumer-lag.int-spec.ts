import { loadConfig, z } from '@iotwins/config';
import { appEnv, startServiceApp, uniqueName, waitFor, type RunningApp } from '@iotwins/testing';
import {
  ensureTelemetryStream,
  telemetryStreamEnvShape,
  telemetryStreamOptions,
} from '@iotwins/messaging';
import { timeseriesEnvSchema } from '../src/app.config';
import { APP_NAME, TimeseriesModule } from '../src/app.module';
import { natsAsDev, publishTelemetry, storedCount } from './timeseries.fixture';

/** timeseries_consumer_lag_messages follows the consumer, not what it was at start. */
describe('consumer lag metric', () => {
  let app: RunningApp | undefined;
  let nats: Awaited<ReturnType<typeof natsAsDev>>;

  beforeAll(async () => {
    nats = await natsAsDev();
  });
  afterAll(async () => {
    await app?.close();
    await nats?.nc.close();
  });

  const lag = async (): Promise<number> => {
    const text = await (await fetch(`${app!.baseUrl}/metrics`)).text();
    return Number(/^timeseries_consumer_lag_messages(?:\{[^}]*\})? (\d+)$/m.exec(text)?.[1] ?? NaN);
  };

  it('drops to zero once a backlog that waited for the writer is written', async () => {
    const config = loadConfig(timeseriesEnvSchema, appEnv(APP_NAME));
    await ensureTelemetryStream(
      nats.jsm,
      telemetryStreamOptions(loadConfig(z.object(telemetryStreamEnvShape))),
    );
    const tenant = uniqueName('lag');
    // A backlog published while no writer of this test runs.
    for (let i = 0; i < 30; i++)
      await publishTelemetry(nats.js, tenant, 'm', [
        `m v=${i}i ${1795514400000000000n + BigInt(i)}`,
      ]);
    app = await startServiceApp(TimeseriesModule.forRoot(config), APP_NAME);
    await waitFor('the backlog written', async () => (await storedCount(tenant, 'm')) === 30);
    await waitFor('the lag metric at zero', async () => (await lag()) === 0, {
      timeoutMs: 15_000,
    });
  });
});
