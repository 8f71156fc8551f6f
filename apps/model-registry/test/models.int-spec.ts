import type { RunningApp } from '@iotwins/testing';
import {
  Api,
  EventTap,
  json,
  modelName,
  openSuite,
  type Principals,
} from './model-registry.fixture';

describe('registered models against the real FerretDB and NATS', () => {
  let app: RunningApp;
  let who: Principals;
  let api: Api;
  let tap: EventTap;

  beforeAll(async () => {
    ({ app, who, tap } = await openSuite());
    api = new Api(app.baseUrl, who.writer);
  });
  afterAll(async () => {
    await tap?.close();
    await app?.close();
  });

  it('creates a model once per tenant and announces it', async () => {
    const name = modelName('anomalyd');
    const created = await api.createModel(name, {
      description: 'vibration anomalies',
      tags: { testbed: '7', 'team.owner': 'wind' },
    });
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({
      name,
      description: 'vibration anomalies',
      tags: { testbed: '7', 'team.owner': 'wind' },
      aliases: {},
      frameworks: [],
    });
    const again = await api.createModel(name);
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect(await json(again)).toMatchObject({ type: 'urn:iotwins:problem:model-exists' });
    // The same name is free in another tenant.
    expect((await api.as(who.otherTenant).createModel(name)).status).toBe(201);
    const event = await tap.next(
      (e) => e.type === 'models.model.created.v1' && e.data.model === name,
    );
    expect(event).toMatchObject({
      source: 'model-registry',
      tenant: 'tenant-a',
      subject: 'events.tenant-a.models.model.created',
    });
  });

  it('refuses bad names and unknown fields with the field named', async () => {
    const bad = await api.createModel('has/slash');
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({
      type: 'urn:iotwins:problem:validation-failed',
      errors: [{ pointer: '/name' }],
    });
    const extra = await api.request('POST', '/v1/models', { json: { name: 'ok', owner: 'x' } });
    expect(extra.status).toBe(400);
    expect(((await json(extra)) as { detail: string }).detail).toContain('owner');
  });

  it('lists by prefix and tag, a page at a time with a cursor', async () => {
    const prefix = modelName('page');
    for (const n of [1, 2, 3])
      expect(
        (await api.createModel(`${prefix}-${n}`, { tags: { stage: n === 2 ? 'beta' : 'ga' } }))
          .status,
      ).toBe(201);
    const first = await json<{ models: { name: string }[]; nextCursor?: string }>(
      await api.request('GET', `/v1/models?prefix=${prefix}&limit=2`),
    );
    expect(first.models.map((m) => m.name)).toEqual([`${prefix}-1`, `${prefix}-2`]);
    expect(first.nextCursor).toBeDefined();
    const second = await json<{ models: { name: string }[]; nextCursor?: string }>(
      await api.request('GET', `/v1/models?prefix=${prefix}&limit=2&cursor=${first.nextCursor}`),
    );
    expect(second.models.map((m) => m.name)).toEqual([`${prefix}-3`]);
    expect(second.nextCursor).toBeUndefined();
    const tagged = await json<{ models: { name: string }[] }>(
      await api.request('GET', `/v1/models?prefix=${prefix}&tag=stage=beta`),
    );
    expect(tagged.models.map((m) => m.name)).toEqual([`${prefix}-2`]);
    const badFramework = await api.request('GET', `/v1/models?framework=caffe`);
    expect(badFramework.status).toBe(400);
    expect(((await json(badFramework)) as { detail: string }).detail).toContain(
      'pytorch, tensorflow, keras, onnx, sklearn, other',
    );
  });

  it('renames, changes description and tags, and deletes', async () => {
    const name = modelName('rename');
    await api.createModel(name);
    const renamed = await api.request('PATCH', `/v1/models/${name}`, {
      json: { name: `${name}-v2`, description: 'new', tags: { a: 'b' } },
    });
    expect(renamed.status).toBe(200);
    expect(await json(renamed)).toMatchObject({
      name: `${name}-v2`,
      description: 'new',
      tags: { a: 'b' },
    });
    expect((await api.request('GET', `/v1/models/${name}`)).status).toBe(404);
    const event = await tap.next(
      (e) => e.type === 'models.model.updated.v1' && e.data.model === `${name}-v2`,
    );
    expect(event.data.previousName).toBe(name);
    expect((await api.request('DELETE', `/v1/models/${name}-v2`)).status).toBe(204);
    expect((await api.request('GET', `/v1/models/${name}-v2`)).status).toBe(404);
    await tap.next((e) => e.type === 'models.model.deleted.v1' && e.data.model === `${name}-v2`);
  });

  it('keeps tenants apart on every model route, and lets a platform admin act for one', async () => {
    const name = modelName('private');
    await api.createModel(name);
    const bob = api.as(who.otherTenant);
    expect((await bob.request('GET', `/v1/models/${name}`)).status).toBe(404);
    expect(
      (await bob.request('PATCH', `/v1/models/${name}`, { json: { description: 'x' } })).status,
    ).toBe(404);
    expect((await bob.request('DELETE', `/v1/models/${name}`)).status).toBe(404);
    const listed = await json<{ models: { name: string }[] }>(
      await bob.request('GET', `/v1/models?prefix=${name}`),
    );
    expect(listed.models).toEqual([]);
    expect((await bob.request('GET', `/v1/models/${name}?tenant=tenant-a`)).status).toBe(403);
    const admin = await api.as(who.admin, 'tenant-a').request('GET', `/v1/models/${name}`);
    expect(admin.status).toBe(200);
    expect((await api.as(who.reader).createModel(modelName())).status).toBe(403);
    expect((await api.as(undefined).request('GET', '/v1/models')).status).toBe(401);
  });
});
