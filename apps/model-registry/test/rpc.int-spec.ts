import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { ModelRegistryRequest, serviceInboxPrefix } from '@iotwins/messaging';
import { requireEnv, type RunningApp } from '@iotwins/testing';
import {
  Api,
  DEFAULT_METADATA,
  EventTap,
  modelName,
  openSuite,
  type Principals,
} from './model-registry.fixture';

describe('request-reply for the retrainer over the NATS transport', () => {
  let app: RunningApp;
  let who: Principals;
  let api: Api;
  let tap: EventTap;
  let client: ClientProxy;

  beforeAll(async () => {
    ({ app, who, tap } = await openSuite());
    api = new Api(app.baseUrl, who.writer);
    // The retrainer's own login, as it will call the registry.
    client = ClientProxyFactory.create({
      transport: Transport.NATS,
      options: {
        servers: [requireEnv('NATS_URL')],
        user: 'retrainer',
        pass: requireEnv('NATS_RETRAINER_PASSWORD'),
        // The retrainer login may read replies on its own inbox prefix only.
        inboxPrefix: serviceInboxPrefix('retrainer'),
      },
    });
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await tap?.close();
    await app?.close();
  });

  const send = <T>(pattern: string, data: unknown): Promise<T> =>
    firstValueFrom(client.send<T>(pattern, data));

  it('looks up, moves an alias and deactivates, with events, in the caller’s tenant only', async () => {
    const model = modelName('rpc');
    await api.createModel(model);
    await api.uploadVersion(model, [{ path: 'm.onnx', content: 'one' }]);
    await api.uploadVersion(model, [{ path: 'm.onnx', content: 'two' }]);
    await api.request('PUT', `/v1/models/${model}/aliases/production`, { json: { version: 1 } });

    const got = await send(ModelRegistryRequest.VersionGet, {
      tenant: 'tenant-a',
      model,
      alias: 'production',
    });
    expect(got).toEqual({
      model,
      version: 1,
      status: 'ready',
      aliases: ['production'],
      metrics: DEFAULT_METADATA.metrics,
      validationMetric: { name: 'accuracy', value: 0.93 },
      lineage: DEFAULT_METADATA.lineage,
    });

    const moved = await send(ModelRegistryRequest.AliasSet, {
      tenant: 'tenant-a',
      model,
      alias: 'production',
      version: 2,
      reason: 'accuracy below tolerance',
    });
    expect(moved).toMatchObject({ version: 2, aliases: ['production'] });
    const changed = await tap.next(
      (e) => e.type === 'models.alias.changed.v1' && e.data.model === model && e.data.version === 2,
    );
    expect(changed.data).toMatchObject({ previousVersion: 1, reason: 'accuracy below tolerance' });

    const deactivated = await send(ModelRegistryRequest.VersionDeactivate, {
      tenant: 'tenant-a',
      model,
      version: 1,
      reason: 'drift',
    });
    expect(deactivated).toMatchObject({ version: 1, status: 'deactivated' });
    await tap.next(
      (e) =>
        e.type === 'models.version.deactivated.v1' &&
        e.data.model === model &&
        e.data.reason === 'drift',
    );

    const removed = await send(ModelRegistryRequest.AliasSet, {
      tenant: 'tenant-a',
      model,
      alias: 'production',
      version: null,
      reason: 'rollback',
    });
    expect(removed).toEqual({ alias: 'production', version: null });

    // Another tenant's request does not see tenant-a's model.
    await expect(
      send(ModelRegistryRequest.VersionGet, { tenant: 'tenant-b', model, version: 1 }),
    ).rejects.toMatchObject({
      status: 404,
      type: 'urn:iotwins:problem:model-not-found',
    });
    await expect(
      send(ModelRegistryRequest.VersionGet, { tenant: 'tenant-a', model, version: 1, alias: 'x' }),
    ).rejects.toMatchObject({
      status: 400,
      type: 'urn:iotwins:problem:invalid-request',
    });
    await expect(
      send(ModelRegistryRequest.AliasSet, {
        tenant: 'tenant-a',
        model,
        alias: 'staging',
        version: 7,
        reason: 'r',
      }),
    ).rejects.toMatchObject({
      status: 404,
      type: 'urn:iotwins:problem:version-not-found',
    });
  });

  it('answers a NUL in a model name with 400, not the store’s error (the retrainer saw a 503)', async () => {
    await expect(
      send(ModelRegistryRequest.VersionGet, { tenant: 'tenant-a', model: 'a\u0000b', version: 1 }),
    ).rejects.toMatchObject({
      status: 400,
      type: 'urn:iotwins:problem:invalid-model-name',
    });
  });
});
