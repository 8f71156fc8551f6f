import type { RunningApp } from '@iotwins/testing';
import {
  Api,
  bucketName,
  EventTap,
  openSuite,
  startObjectstore,
  type Principals,
} from './objectstore.fixture';

describe('objectstore buckets against the real MinIO and NATS', () => {
  let app: RunningApp;
  let who: Principals;
  let api: Api;
  let tapA: EventTap;

  beforeAll(async () => {
    ({ app, who, tap: tapA } = await openSuite());
    api = new Api(app.baseUrl, who.owner);
  });
  afterAll(async () => {
    await tapA?.close();
    await app?.close();
  });

  it('creates a private bucket owned by the caller, and says so once more on 409', async () => {
    const name = bucketName();
    const created = await api.createBucket(name);
    expect(created.status).toBe(201);
    const bucket = (await created.json()) as Record<string, string>;
    expect(bucket).toMatchObject({ name, acl: 'private' });
    expect(bucket.owner).toMatch(/^[0-9a-f-]{36}$/);
    const again = await api.createBucket(name);
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect(await again.json()).toMatchObject({ type: 'urn:iotwins:problem:bucket-exists' });
    const event = await tapA.next(
      (e) => e.type === 'objectstore.bucket.created.v1' && e.data.bucket === name,
    );
    expect(event).toMatchObject({
      source: 'objectstore',
      tenant: 'tenant-a',
      data: { acl: 'private' },
    });
  });

  it.each([
    ['ab', 'characters long'],
    ['Upper-Case', 'lowercase'],
    ['under_score', 'lowercase'],
    ['-leading', 'begin and end'],
    ['two..dots', 'adjacent dots'],
    ['10.0.0.1', 'IP address'],
    ['xn--punycode', 'xn--'],
    ['sеnsor', 'lowercase'],
  ])('refuses the bucket name %j with the S3 rule it breaks', async (name, rule) => {
    const response = await api.createBucket(name);
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { type: string; detail: string };
    expect(problem.type).toBe('urn:iotwins:problem:invalid-bucket-name');
    expect(problem.detail).toContain(rule);
  });

  it('refuses an unknown ACL and a body that is not JSON', async () => {
    const badAcl = await api.createBucket(bucketName(), 'world-writable');
    expect(badAcl.status).toBe(400);
    expect(JSON.stringify(await badAcl.json())).toContain('acl must be one of');
    const notJson = await api.request('POST', '/v1/buckets', {
      body: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(notJson.status).toBe(415);
  });

  it('lists only the caller’s tenant’s buckets; another tenant may use the same name', async () => {
    const name = bucketName();
    expect((await api.createBucket(name)).status).toBe(201);
    const bob = api.as(who.otherTenant);
    const bobsList = (await (await bob.request('GET', '/v1/buckets')).json()) as {
      buckets: { name: string }[];
    };
    expect(bobsList.buckets.map((b) => b.name)).not.toContain(name);
    expect((await bob.request('GET', `/v1/buckets/${name}`)).status).toBe(404);
    expect((await bob.createBucket(name)).status).toBe(201);
    expect((await bob.putObject(name, 'mine.txt', 'bob')).status).toBe(200);
    const alicesList = (await (await api.request('GET', '/v1/buckets')).json()) as {
      buckets: { name: string }[];
    };
    expect(alicesList.buckets.filter((b) => b.name === name)).toHaveLength(1);
    const aliceGets = await api.getObject(name, 'mine.txt');
    expect(aliceGets.status).toBe(404);
  });

  it('deletes an empty bucket with 204, refuses a full one with 409 unless forced by the owner', async () => {
    const empty = bucketName();
    await api.createBucket(empty);
    expect((await api.request('DELETE', `/v1/buckets/${empty}`)).status).toBe(204);
    expect((await api.request('GET', `/v1/buckets/${empty}`)).status).toBe(404);
    const deleted = await tapA.next(
      (e) => e.type === 'objectstore.bucket.deleted.v1' && e.data.bucket === empty,
    );
    expect(deleted.tenant).toBe('tenant-a');

    const full = bucketName();
    await api.createBucket(full, 'tenant-write');
    for (const key of ['a.csv', 'b/c.csv', 'b/d/e.csv'])
      expect((await api.putObject(full, key, key)).status).toBe(200);
    const refused = await api.request('DELETE', `/v1/buckets/${full}`);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ type: 'urn:iotwins:problem:bucket-not-empty' });
    // A tenant member who may write objects still may not force the bucket away.
    expect(
      (await api.as(who.writer).request('DELETE', `/v1/buckets/${full}?force=true`)).status,
    ).toBe(403);
    expect((await api.request('DELETE', `/v1/buckets/${full}?force=maybe`)).status).toBe(400);
    expect((await api.request('DELETE', `/v1/buckets/${full}?force=true`)).status).toBe(204);
    expect((await api.request('GET', `/v1/buckets/${full}`)).status).toBe(404);
    for (const key of ['a.csv', 'b/c.csv', 'b/d/e.csv']) {
      await tapA.next(
        (e) =>
          e.type === 'objectstore.object.deleted.v1' &&
          e.data.bucket === full &&
          e.data.key === key,
      );
    }
    // The name is free again.
    expect((await api.createBucket(full)).status).toBe(201);
  });

  it('gets and puts the bucket ACL (owner only), and the ACL survives a restart of the app', async () => {
    const name = bucketName();
    await api.createBucket(name);
    expect(await (await api.request('GET', `/v1/buckets/${name}/acl`)).json()).toEqual({
      acl: 'private',
    });
    const byWriter = await api
      .as(who.writer)
      .request('PUT', `/v1/buckets/${name}/acl`, { json: { acl: 'public-read' } });
    expect(byWriter.status).toBe(403);
    const put = await api.request('PUT', `/v1/buckets/${name}/acl`, {
      json: { acl: 'tenant-read' },
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ acl: 'tenant-read' });
    await tapA.next((e) => e.type === 'objectstore.acl.changed.v1' && e.data.bucket === name);
    expect(
      (await api.request('PUT', `/v1/buckets/${name}/acl`, { json: { acl: 'nope' } })).status,
    ).toBe(400);

    await app.close();
    app = await startObjectstore();
    api = new Api(app.baseUrl, who.owner);
    expect(await (await api.request('GET', `/v1/buckets/${name}/acl`)).json()).toEqual({
      acl: 'tenant-read',
    });
    expect((await api.as(who.reader).request('GET', `/v1/buckets/${name}/objects`)).status).toBe(
      200,
    );
  });

  it('answers 401 without a token and 403 without the role', async () => {
    expect((await api.as(undefined).request('GET', '/v1/buckets')).status).toBe(401);
    expect((await api.as(who.reader).createBucket(bucketName())).status).toBe(403);
  });
});
