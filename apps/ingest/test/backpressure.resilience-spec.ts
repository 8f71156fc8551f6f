import { loadConfig } from '@iotwins/config';
import {
  appEnv,
  services,
  startServiceApp,
  tokens,
  waitFor,
  type RunningApp,
} from '@iotwins/testing';
import { ingestEnvSchema } from '../src/app.config';
import { APP_NAME, IngestModule } from '../src/app.module';

/**
 * When JetStream cannot store a batch, ingest must say so (503 with Retry-After) instead of
 * answering 2xx for data it does not hold, and take data again once JetStream is back.
 */
describe('ingest backpressure when JetStream is away', () => {
  let running: RunningApp;
  let token: string;

  beforeAll(async () => {
    const config = loadConfig(
      ingestEnvSchema,
      appEnv(APP_NAME, { INGEST_PUBLISH_TIMEOUT_MS: '1000' }),
    );
    running = await startServiceApp(IngestModule.forRoot(config), APP_NAME);
    token = await tokens.gatewayA();
  });
  afterAll(async () => {
    services('start', 'nats');
    await running?.close();
  });

  const write = (line: string): Promise<Response> =>
    fetch(`${running.baseUrl}/write?db=tenant-a`, {
      method: 'POST',
      body: line,
      headers: { authorization: `Bearer ${token}` },
    });

  it('answers 503 with Retry-After while NATS is stopped, and 204 again once it is back', async () => {
    expect((await write('backpressure v=1 1795514400000000000')).status).toBe(204);
    services('stop', 'nats');
    try {
      const refused = await write('backpressure v=2 1795514400000000001');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('2');
      expect(await refused.json()).toMatchObject({
        type: 'urn:iotwins:problem:telemetry-not-stored',
      });
    } finally {
      services('start', 'nats');
    }
    await waitFor(
      'ingest to store again',
      async () => (await write('backpressure v=3 1795514400000000002')).status === 204,
      {
        timeoutMs: 30_000,
        intervalMs: 500,
      },
    );
  }, 90_000);
});
