import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor, type RunningApp } from '@iotwins/testing';
import { verifyWebhook } from '@iotwins/http';
import {
  Api,
  json,
  modelName,
  openSuite,
  type EventTap,
  type Principals,
} from './model-registry.fixture';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

describe('webhooks per model, against a real HTTP receiver', () => {
  let app: RunningApp;
  let who: Principals;
  let api: Api;
  let tap: EventTap;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  let failuresLeft = 1;

  beforeAll(async () => {
    ({ app, who, tap } = await openSuite({ MODEL_REGISTRY_WEBHOOK_RETRY_BASE_MS: '300' }));
    api = new Api(app.baseUrl, who.writer);
    // Answers 500 once, then 204: the registry must retry.
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (failuresLeft > 0) {
          failuresLeft--;
          response.writeHead(500).end('not now');
        } else response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/models`;
  });
  afterAll(async () => {
    await tap?.close();
    await app?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('delivers a signed event, retries after a 500 and logs both attempts', async () => {
    const model = modelName('hooked');
    await api.createModel(model);
    const secret = 'a-webhook-secret-of-the-team';
    const created = await api.request('POST', `/v1/models/${model}/webhooks`, {
      json: { url: receiverUrl, secret, events: ['models.version.created.v1'] },
    });
    expect(created.status).toBe(201);
    const webhook = await json<{ id: string; secret: string }>(created);
    expect(webhook.secret).toBe(secret);
    const listed = await json<{ webhooks: Record<string, unknown>[] }>(
      await api.request('GET', `/v1/models/${model}/webhooks`),
    );
    expect(listed.webhooks).toEqual([expect.not.objectContaining({ secret: expect.anything() })]);

    expect(
      (await api.uploadVersion(model, [{ path: 'm.onnx', content: 'hooked weights' }])).status,
    ).toBe(201);
    await waitFor('the delivery after one 500', async () => received.length >= 2, {
      timeoutMs: 20_000,
    });
    const [first, second] = received;
    expect(second!.body).toBe(first!.body);
    const event = JSON.parse(second!.body) as {
      id: string;
      type: string;
      data: Record<string, unknown>;
    };
    expect(event).toMatchObject({
      type: 'models.version.created.v1',
      tenant: 'tenant-a',
      data: { model, version: 1 },
    });
    expect(second!.headers['x-iotwins-event']).toBe('models.version.created.v1');
    expect(second!.headers['x-iotwins-delivery']).toBe(event.id);
    const signed = {
      timestamp: String(second!.headers['x-iotwins-timestamp']),
      body: second!.body,
      signature: String(second!.headers['x-iotwins-signature']),
    };
    expect(verifyWebhook(secret, signed)).toBe(true);
    expect(verifyWebhook('wrong-secret-xxxxxxxx', signed)).toBe(false);

    await waitFor('the delivery logged', async () => {
      const log = await json<{ deliveries: { state: string }[] }>(
        await api.request('GET', `/v1/models/${model}/webhooks/${webhook.id}/deliveries`),
      );
      return log.deliveries[0]?.state === 'delivered';
    });
    const log = await json<{
      deliveries: { eventId: string; state: string; attempts: { status?: number }[] }[];
    }>(await api.request('GET', `/v1/models/${model}/webhooks/${webhook.id}/deliveries`));
    expect(log.deliveries).toHaveLength(1);
    expect(log.deliveries[0]).toMatchObject({ eventId: event.id, state: 'delivered' });
    expect(log.deliveries[0]!.attempts.map((a) => a.status)).toEqual([500, 204]);
    // Only the subscribed type: an alias change is not sent.
    await api.request('PUT', `/v1/models/${model}/aliases/production`, { json: { version: 1 } });
    await tap.next((e) => e.type === 'models.alias.changed.v1' && e.data.model === model);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(received).toHaveLength(2);
  });

  it('refuses a non-HTTP URL and an unknown event type, and hides webhooks from other tenants', async () => {
    const model = modelName('hooked');
    await api.createModel(model);
    const bad = await api.request('POST', `/v1/models/${model}/webhooks`, {
      json: { url: 'file:///etc/passwd', events: ['models.nope.v1'] },
    });
    expect(bad.status).toBe(400);
    const problem = await json<{ errors: { pointer: string }[] }>(bad);
    expect(problem.errors.map((e) => e.pointer).sort()).toEqual(['/events/0', '/url']);
    const bob = api.as(who.otherTenant);
    expect((await bob.request('GET', `/v1/models/${model}/webhooks`)).status).toBe(404);
    expect(
      (await bob.request('POST', `/v1/models/${model}/webhooks`, { json: { url: receiverUrl } }))
        .status,
    ).toBe(404);
  });
});
