import type { RunningApp } from '@iotwins/testing';
import {
  Api,
  bucketName,
  EventTap,
  openSuite,
  startObjectstore,
  type Principals,
} from './objectstore.fixture';

interface Presigned {
  method: string;
  expiresAt: string;
  urls: { key: string; url: string }[];
}

describe('objectstore presigned bulk transfer, edge straight to MinIO', () => {
  let app: RunningApp;
  let who: Principals;
  let owner: Api;
  let gateway: Api;
  let tap: EventTap;
  let bucket: string;

  beforeAll(async () => {
    ({ app, who, tap } = await openSuite({
      OBJECTSTORE_PRESIGN_MAX_EXPIRY_S: '3600',
      OBJECTSTORE_PRESIGN_MAX_KEYS: '50',
    }));
    owner = new Api(app.baseUrl, who.owner);
    gateway = owner.as(who.writer);
    bucket = bucketName('bulk');
    expect((await owner.createBucket(bucket, 'tenant-write')).status).toBe(201);
  });
  afterAll(async () => {
    await tap?.close();
    await app?.close();
  });

  const presign = (api: Api, body: unknown, target = bucket): Promise<Response> =>
    api.request('POST', `/v1/buckets/${target}/presigned-urls`, { json: body });

  it('presigns a batch of PUTs; the gateway uploads to MinIO directly and every upload raises an event', async () => {
    const keys = Array.from(
      { length: 20 },
      (_, i) => `runs/2026-11-24/part-${String(i).padStart(4, '0')}.csv`,
    );
    const response = await presign(gateway, { method: 'PUT', keys, expiresIn: 600 });
    expect(response.status).toBe(201);
    const presigned = (await response.json()) as Presigned;
    expect(presigned.urls.map((u) => u.key)).toEqual(keys);
    const expiresIn = Date.parse(presigned.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(590_000);
    expect(expiresIn).toBeLessThanOrEqual(600_000);
    for (const { key, url } of presigned.urls) {
      expect(url).toContain('X-Amz-Signature=');
      const upload = await fetch(url, {
        method: 'PUT',
        body: `data of ${key}`,
        headers: { 'content-type': 'text/csv' },
      });
      expect(upload.status).toBe(200);
    }
    for (const key of keys) {
      const event = await tap.next(
        (e) => e.type === 'objectstore.object.created.v1' && e.data.key === key,
      );
      expect(event).toMatchObject({
        tenant: 'tenant-a',
        source: 'objectstore',
        data: {
          bucket,
          size: `data of ${key}`.length,
          contentType: 'text/csv',
          cause: 's3:ObjectCreated:Put',
        },
      });
    }
    const read = await owner.getObject(bucket, keys[7]!);
    expect(await read.text()).toBe(`data of ${keys[7]}`);
  });

  it('presigns GETs for readers, and the URL serves the object', async () => {
    const shared = bucketName('shared');
    await owner.createBucket(shared, 'tenant-read');
    await owner.putObject(shared, 'model/weights.bin', Buffer.from([1, 2, 3, 4]));
    const response = await presign(
      owner.as(who.reader),
      { method: 'GET', keys: ['model/weights.bin'] },
      shared,
    );
    expect(response.status).toBe(201);
    const { urls, expiresAt } = (await response.json()) as Presigned;
    // The default lifetime: 900 s.
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(890_000);
    const download = await fetch(urls[0]!.url);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(Buffer.from([1, 2, 3, 4]));
  });

  it('checks every key as if the caller asked itself, and lists each refused index', async () => {
    await owner.putObject(bucket, 'locked.csv', 'x', { 'x-iotwins-acl': 'private' });
    const mixed = await presign(gateway, {
      method: 'PUT',
      keys: ['free.csv', 'locked.csv', 'also-free.csv'],
    });
    expect(mixed.status).toBe(403);
    const problem = (await mixed.json()) as { errors: { index: number }[] };
    expect(problem.errors.map((e) => e.index)).toEqual([1]);
    // A reader may not presign uploads at all; another tenant does not find the bucket.
    expect((await presign(owner.as(who.reader), { method: 'PUT', keys: ['a.csv'] })).status).toBe(
      403,
    );
    expect(
      (await presign(owner.as(who.otherTenant), { method: 'GET', keys: ['a.csv'] })).status,
    ).toBe(404);
    expect((await presign(owner.as(undefined), { method: 'GET', keys: ['a.csv'] })).status).toBe(
      401,
    );
  });

  it('refuses invalid keys with their indexes, too many keys and too long a lifetime', async () => {
    const invalid = await presign(gateway, {
      method: 'PUT',
      keys: ['ok.csv', '../escape.csv', 'fine.csv', 'a//b'],
    });
    expect(invalid.status).toBe(400);
    expect(
      ((await invalid.json()) as { errors: { index: number }[] }).errors.map((e) => e.index),
    ).toEqual([1, 3]);
    const tooMany = await presign(gateway, {
      method: 'PUT',
      keys: Array.from({ length: 51 }, (_, i) => `k${i}`),
    });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ type: 'urn:iotwins:problem:too-many-keys' });
    const tooLong = await presign(gateway, { method: 'PUT', keys: ['a.csv'], expiresIn: 3601 });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ type: 'urn:iotwins:problem:expiry-too-long' });
    expect((await presign(gateway, { method: 'DELETE', keys: ['a.csv'] })).status).toBe(400);
    expect((await presign(gateway, { method: 'PUT', keys: [] })).status).toBe(400);
  });

  it('a URL is good for its own key only, and not after it expired', async () => {
    const { urls } = (await (
      await presign(gateway, { method: 'PUT', keys: ['one.csv'], expiresIn: 1 })
    ).json()) as Presigned;
    const otherKey = urls[0]!.url.replace('/one.csv?', '/two.csv?');
    expect((await fetch(otherKey, { method: 'PUT', body: 'x' })).status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const late = await fetch(urls[0]!.url, { method: 'PUT', body: 'x' });
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('expired');
    expect((await owner.getObject(bucket, 'one.csv')).status).toBe(404);
  });

  describe('a URL holder who adds headers reaches nothing more (scoped STS credentials)', () => {
    /** The physical S3 bucket of a URL: the first path segment. */
    const physicalOf = (url: string): string => new URL(url).pathname.split('/')[1]!;
    const presignOne = async (api: Api, method: string, key: string, target = bucket) => {
      const response = await presign(api, { method, keys: [key] }, target);
      expect(response.status).toBe(201);
      return ((await response.json()) as Presigned).urls[0]!.url;
    };

    it('is signed with temporary credentials, never the service key', async () => {
      const url = new URL(await presignOne(gateway, 'PUT', 'scoped/one.csv'));
      const credential = url.searchParams.get('X-Amz-Credential')!;
      expect(credential.split('/')[0]).not.toBe(process.env.S3_ACCESS_KEY);
      expect(url.searchParams.get('X-Amz-Security-Token')).toBeTruthy();
    });

    it("refuses x-amz-copy-source of another tenant's object; the plain PUT still works", async () => {
      const bob = owner.as(who.otherTenant);
      const theirs = bucketName('theirs');
      expect((await bob.createBucket(theirs)).status).toBe(201);
      expect((await bob.putObject(theirs, 'secret.txt', 'tenant-b secret')).status).toBe(200);
      const theirPhysical = physicalOf(await presignOne(bob, 'GET', 'secret.txt', theirs));

      const url = await presignOne(gateway, 'PUT', 'stolen.txt');
      const copy = await fetch(url, {
        method: 'PUT',
        headers: { 'x-amz-copy-source': `/${theirPhysical}/secret.txt` },
      });
      expect(copy.status).toBe(403);
      expect(await copy.text()).toContain('AccessDenied');
      // Nothing was copied: the key does not exist for tenant-a.
      expect((await owner.getObject(bucket, 'stolen.txt')).status).toBe(404);
      // A copy from the tenant's own bucket is refused too: the URL uploads bytes, nothing else.
      await owner.putObject(bucket, 'mine.txt', 'mine');
      const own = await fetch(url, {
        method: 'PUT',
        headers: { 'x-amz-copy-source': `/${physicalOf(url)}/mine.txt` },
      });
      expect(own.status).toBe(403);

      const plain = await fetch(url, { method: 'PUT', body: 'my own bytes' });
      expect(plain.status).toBe(200);
      expect(await (await owner.getObject(bucket, 'stolen.txt')).text()).toBe('my own bytes');
      // Tenant-b's object is as it was.
      expect(await (await bob.getObject(theirs, 'secret.txt')).text()).toBe('tenant-b secret');
    });

    it('refuses x-amz-tagging, so a writer cannot make an object public through a URL', async () => {
      const url = await presignOne(gateway, 'PUT', 'tagged.txt');
      for (const tagging of ['iotwins-acl=public-read', 'anything=else']) {
        const tagged = await fetch(url, {
          method: 'PUT',
          body: 'should stay private',
          headers: { 'x-amz-tagging': tagging },
        });
        expect(tagged.status).toBe(403);
      }
      expect((await owner.getObject(bucket, 'tagged.txt')).status).toBe(404);
      expect((await fetch(url, { method: 'PUT', body: 'untagged' })).status).toBe(200);
      const anonymous = await owner
        .as(undefined)
        .request('GET', `/v1/public/tenant-a/${bucket}/tagged.txt`);
      expect(anonymous.status).not.toBe(200);
      expect(await anonymous.text()).not.toContain('untagged');
    });

    it('a GET URL reads its one object and no other, whatever the path or headers', async () => {
      await owner.putObject(bucket, 'g/one.txt', 'one');
      await owner.putObject(bucket, 'g/two.txt', 'two');
      const url = await presignOne(gateway, 'GET', 'g/one.txt');
      expect(await (await fetch(url)).text()).toBe('one');
      expect((await fetch(url.replace('/g/one.txt?', '/g/two.txt?'))).status).toBe(403);
      // A PUT with the GET URL's credentials is refused.
      expect((await fetch(url, { method: 'PUT', body: 'overwrite' })).status).toBe(403);
      expect(await (await owner.getObject(bucket, 'g/one.txt')).text()).toBe('one');
    });

    it('every URL of a batch has its own credentials, each refusing copy and tagging', async () => {
      await owner.putObject(bucket, 'batch-source.txt', 'source');
      const keys = ['batch/a.txt', 'batch/b.txt', 'batch/c.txt'];
      const response = await presign(gateway, { method: 'PUT', keys });
      const { urls } = (await response.json()) as Presigned;
      const credentials = new Set(
        urls.map((u) => new URL(u.url).searchParams.get('X-Amz-Credential')!.split('/')[0]),
      );
      expect(credentials.size).toBe(keys.length);
      for (const { url } of urls) {
        const source = `/${physicalOf(url)}/batch-source.txt`;
        expect(
          (await fetch(url, { method: 'PUT', headers: { 'x-amz-copy-source': source } })).status,
        ).toBe(403);
        expect(
          (
            await fetch(url, {
              method: 'PUT',
              body: 'x',
              headers: { 'x-amz-tagging': 'iotwins-acl=public-read' },
            })
          ).status,
        ).toBe(403);
        expect((await fetch(url, { method: 'PUT', body: 'ok' })).status).toBe(200);
      }
    });
  });

  it('names the public S3 endpoint in its URLs when one is configured', async () => {
    const behindProxy = await startObjectstore({
      S3_PUBLIC_ENDPOINT: 'https://s3.testbed.example:9443',
    });
    try {
      const response = await new Api(behindProxy.baseUrl, who.writer).request(
        'POST',
        `/v1/buckets/${bucket}/presigned-urls`,
        { json: { method: 'PUT', keys: ['x.csv'] } },
      );
      const { urls } = (await response.json()) as Presigned;
      expect(urls[0]!.url).toMatch(/^https:\/\/s3\.testbed\.example:9443\/t[0-9a-f]{10}-/);
    } finally {
      await behindProxy.close();
    }
  });
});
