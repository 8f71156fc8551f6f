import { jetstream } from '@nats-io/jetstream';
import { loadConfig, z } from '@iotwins/config';
import {
  ensureTelemetryStream,
  telemetryStreamEnvShape,
  telemetryStreamOptions,
} from '@iotwins/messaging';
import { appEnv, startServiceApp, uniqueName, waitFor, type RunningApp } from '@iotwins/testing';
import { timeseriesEnvSchema } from '../src/app.config';
import { APP_NAME, TimeseriesModule } from '../src/app.module';
import { natsAsDev, publishTelemetry, storedCount } from './timeseries.fixture';

/**
 * A delivery lost on the way, as happens to messages JetStream sends while a NATS connection
 * breaks: the writer never sees it, and JetStream gives it again only after the consumer's
 * ack wait. That wait must be short, so the points are stored seconds later, not 30 s.
 */
describe('a TELEMETRY delivery lost with its connection', () => {
  let app: RunningApp | undefined;

  afterAll(async () => {
    await app?.close();
  });

  it('is written within seconds once JetStream gives it again', async () => {
    const config = loadConfig(timeseriesEnvSchema, appEnv(APP_NAME));
    const tenant = uniqueName('lost');
    const publisher = await natsAsDev();
    await ensureTelemetryStream(
      publisher.jsm,
      telemetryStreamOptions(loadConfig(z.object(telemetryStreamEnvShape))),
    );
    await publishTelemetry(publisher.js, tenant, 'm', ['m v=1i 1795514400000000000']);
    await publisher.nc.close();

    // A writer that takes deliveries and loses its connection before it acknowledges them.
    const lost = await natsAsDev();
    const consumer = await jetstream(lost.nc).consumers.get('TELEMETRY', 'timeseries-writer');
    let taken = 0;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const message = await consumer.next({ expires: 1_000 });
      if (!message) continue;
      taken += 1;
      if (message.subject === `telemetry.${tenant}.m`) break;
    }
    const delivered = Date.now();
    await lost.nc.close();
    expect(taken).toBeGreaterThan(0);

    app = await startServiceApp(TimeseriesModule.forRoot(config), APP_NAME);
    await waitFor('the lost delivery written', async () => (await storedCount(tenant, 'm')) === 1, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    // The ack wait (6 s) plus the writer's start, far from the former 30 s.
    expect((Date.now() - delivered) / 1000).toBeLessThan(20);
  });
});
