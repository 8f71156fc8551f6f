import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';
import { tokens, uniqueName, waitFor, type AppProcess } from '@iotwins/testing';
import type { RegistryResponder } from './registry.responder';
import {
  Api,
  TENANT,
  publishObservations,
  regressionMonitor,
  windowOf,
  RetrainerTestbed,
  type JsonBody,
} from './retrainer.fixture';

const LEASE_SECONDS = 3;

/**
 * An action a retrainer had picked up when it was killed (issue 19: it waited out a 300 s
 * lease) is carried out by the next instance within about one short lease, while a live
 * instance keeps the lease of a slow action by renewing it. Needs `apps/retrainer/dist`.
 */
describe('action leases', () => {
  const testbed = new RetrainerTestbed('retrainer-lease');
  let registry: RegistryResponder;
  let nc: NatsConnection;

  beforeAll(async () => {
    ({ registry, nc } = await testbed.start());
  });

  afterAll(() => testbed.close());

  it('hands the action of a killed instance to the next one well before 300 s', async () => {
    const model = uniqueName('pq-lease');
    registry.addVersion(TENANT, model, { version: 1, status: 'ready', metrics: {}, lineage: {} }, [
      'production',
    ]);
    // The receiver holds the first call without answering (the instance is killed while it
    // waits); later calls are answered at once.
    const calls: number[] = [];
    const held: ServerResponse[] = [];
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        calls.push(Date.now());
        if (calls.length === 1) held.push(response);
        else response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const settings = {
      ACTION_LEASE_SECONDS: String(LEASE_SECONDS),
      WEBHOOK_TIMEOUT_MS: '120000',
    };
    let first: AppProcess | undefined;
    let second: AppProcess | undefined;
    try {
      first = await testbed.startProcess(settings);
      const token = await tokens.alice();
      const api = new Api(first.baseUrl, token);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/retrain`;
      const created = await api.request(
        'POST',
        '/v1/monitors',
        regressionMonitor(model, {
          consecutiveBadWindows: 1,
          actions: { webhook: { url, secret: 'lease-spec-webhook-secret' } },
        }),
      );
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const { predictions, actuals } = windowOf('l', 20, 5);
      await publishObservations(nc, TENANT, model, 'prediction', predictions);
      await publishObservations(nc, TENANT, model, 'actual', actuals);
      await waitFor('the webhook called', async () => calls.length === 1, { timeoutMs: 20_000 });

      // Twice the lease later the live instance still holds it: the heartbeat renewed it.
      await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_SECONDS * 1000));
      const [lease] = await testbed.database.query<{ ahead: boolean; attempts: number }>(
        `SELECT next_attempt_at > now() AS ahead, attempts FROM monitor_actions
          WHERE monitor_id = $1 AND kind = 'webhook'`,
        [id],
      );
      expect(lease).toEqual({ ahead: true, attempts: 1 });

      await first.stop('SIGKILL');
      const killedAt = Date.now();
      second = await testbed.startProcess(settings);
      const next = new Api(second.baseUrl, token);
      await waitFor(
        'the action done by the next instance',
        async () => {
          const actions = (await next.request('GET', `/v1/monitors/${id}/actions`)).body
            .actions as JsonBody[];
          return actions.some((a) => a.kind === 'webhook' && a.status === 'done');
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      const tookMs = Date.now() - killedAt;
      // One lease, a poll and a start of the app; the old lease was 300 s.
      expect(tookMs).toBeLessThan(30_000);
      expect(calls).toHaveLength(2);
      const [done] = await testbed.database.query<{ attempts: number }>(
        `SELECT attempts FROM monitor_actions WHERE monitor_id = $1 AND kind = 'webhook'`,
        [id],
      );
      expect(done!.attempts).toBe(2);
      process.stdout.write(`action of the killed instance done ${tookMs} ms after the kill\n`);
    } finally {
      for (const response of held) response.destroy();
      await first?.stop('SIGKILL');
      await second?.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
