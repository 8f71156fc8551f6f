import { request as httpRequest } from 'node:http';
import type { RunningApp } from '@iotwins/testing';
import {
  Api,
  bucketName,
  principals,
  startObjectstore,
  type Principals,
} from './objectstore.fixture';

type Who = keyof Principals | 'anonymous';
const everyone: Who[] = ['owner', 'writer', 'reader', 'otherTenant', 'admin', 'anonymous'];

/**
 * The ACL matrix as docs/objectstore.md states it: for each ACL of a bucket, who may read an
 * object (through the API with a token, or the public URL without one), who may write one and
 * who may list the bucket. The owner created the bucket; the writer and the reader are other
 * members of the same tenant; a role is needed whatever the ACL says.
 */
const matrix: Record<string, { read: Who[]; write: Who[]; list: Who[]; anonymousGet: boolean }> = {
  private: {
    read: ['owner', 'admin'],
    write: ['owner', 'admin'],
    list: ['owner', 'admin'],
    anonymousGet: false,
  },
  'tenant-read': {
    read: ['owner', 'writer', 'reader', 'admin'],
    write: ['owner', 'admin'],
    list: ['owner', 'writer', 'reader', 'admin'],
    anonymousGet: false,
  },
  'tenant-write': {
    read: ['owner', 'writer', 'reader', 'admin'],
    write: ['owner', 'writer', 'admin'],
    list: ['owner', 'writer', 'reader', 'admin'],
    anonymousGet: false,
  },
  'public-read': {
    read: ['owner', 'writer', 'reader', 'admin', 'anonymous'],
    write: ['owner', 'admin'],
    list: ['owner', 'writer', 'reader', 'admin'],
    anonymousGet: true,
  },
};

describe('objectstore access control against the real MinIO and Keycloak', () => {
  let app: RunningApp;
  let who: Principals;
  let owner: Api;
  const as = (w: Who): Api =>
    w === 'admin'
      ? owner.as(who.admin, 'tenant-a')
      : owner.as(w === 'anonymous' ? undefined : who[w]);

  beforeAll(async () => {
    [app, who] = await Promise.all([startObjectstore(), principals()]);
    owner = new Api(app.baseUrl, who.owner);
  });
  afterAll(async () => app?.close());

  describe.each(Object.entries(matrix))('a %s bucket', (acl, expected) => {
    let bucket: string;
    beforeAll(async () => {
      bucket = bucketName(acl.replace('-', ''));
      expect((await owner.createBucket(bucket, acl)).status).toBe(201);
      expect((await owner.putObject(bucket, 'data/reading.csv', 'a,b\n1,2\n')).status).toBe(200);
    });

    it.each(everyone)('%s reads, writes and lists as the ACL says', async (w) => {
      const api = as(w);
      // The other tenant names the same bucket, but in its own tenant: there is none.
      const denied = w === 'anonymous' ? 401 : w === 'otherTenant' ? 404 : 403;

      const read = await api.getObject(bucket, 'data/reading.csv');
      const mayRead = expected.read.includes(w) && w !== 'anonymous';
      expect(read.status).toBe(mayRead ? 200 : denied);
      if (mayRead) expect(await read.text()).toBe('a,b\n1,2\n');

      const write = await api.putObject(bucket, `data/by-${w}.csv`, w);
      expect(write.status).toBe(expected.write.includes(w) ? 200 : denied);

      const list = await api.request('GET', `/v1/buckets/${bucket}/objects`);
      expect(list.status).toBe(expected.list.includes(w) ? 200 : denied);

      const publicGet = await fetch(
        `${app.baseUrl}/v1/public/tenant-a/${bucket}/data/reading.csv`,
        {
          headers: w === 'anonymous' ? {} : { authorization: `Bearer ${who[w]}` },
        },
      );
      expect(publicGet.status).toBe(expected.anonymousGet ? 200 : 404);
      if (expected.anonymousGet) expect(await publicGet.text()).toBe('a,b\n1,2\n');
    });
  });

  it('an object ACL overrides its bucket’s, both ways', async () => {
    const bucket = bucketName('override');
    await owner.createBucket(bucket, 'tenant-write');
    await owner.putObject(bucket, 'secret.txt', 'only alice', { 'x-iotwins-acl': 'private' });
    await owner.putObject(bucket, 'shared.txt', 'everyone');
    await owner.putObject(bucket, 'public.txt', 'the world', { 'x-iotwins-acl': 'public-read' });

    expect((await as('writer').getObject(bucket, 'secret.txt')).status).toBe(403);
    expect((await as('writer').putObject(bucket, 'secret.txt', 'overwritten')).status).toBe(403);
    expect(
      (await as('writer').request('DELETE', `/v1/buckets/${bucket}/objects/secret.txt`)).status,
    ).toBe(403);
    expect(await (await as('owner').getObject(bucket, 'secret.txt')).text()).toBe('only alice');
    expect(
      (await as('writer').putObject(bucket, 'shared.txt', 'changed by the gateway')).status,
    ).toBe(200);

    const anonymous = (key: string) => fetch(`${app.baseUrl}/v1/public/tenant-a/${bucket}/${key}`);
    expect(await (await anonymous('public.txt')).text()).toBe('the world');
    expect((await anonymous('shared.txt')).status).toBe(404);
    expect((await anonymous('missing.txt')).status).toBe(404);
    const head = await fetch(`${app.baseUrl}/v1/public/tenant-a/${bucket}/public.txt`, {
      method: 'HEAD',
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('9');

    // A private object in a public bucket is not public.
    const open = bucketName('open');
    await owner.createBucket(open, 'public-read');
    await owner.putObject(open, 'hidden.txt', 'x', { 'x-iotwins-acl': 'private' });
    await owner.putObject(open, 'visible.txt', 'y');
    expect((await fetch(`${app.baseUrl}/v1/public/tenant-a/${open}/hidden.txt`)).status).toBe(404);
    expect((await fetch(`${app.baseUrl}/v1/public/tenant-a/${open}/visible.txt`)).status).toBe(200);
    // Conditions do not reveal what a reader may not see.
    expect((await as('reader').getObject(open, 'hidden.txt', { 'if-match': '"x"' })).status).toBe(
      403,
    );
    // The public URL names the tenant; another tenant's name finds nothing there.
    expect((await fetch(`${app.baseUrl}/v1/public/tenant-b/${open}/visible.txt`)).status).toBe(404);
  });

  it('only a platform admin may name another tenant', async () => {
    const bucket = bucketName('admin');
    expect((await owner.createBucket(bucket)).status).toBe(201);
    expect(
      (
        await as('otherTenant')
          .as(who.otherTenant, 'tenant-a')
          .request('GET', `/v1/buckets/${bucket}`)
      ).status,
    ).toBe(403);
    expect((await as('admin').request('GET', `/v1/buckets/${bucket}`)).status).toBe(200);
    expect(
      (await owner.as(who.owner, 'tenant-a').request('GET', `/v1/buckets/${bucket}`)).status,
    ).toBe(200);
    expect((await owner.as(who.admin, 'a.b').request('GET', '/v1/buckets')).status).toBe(400);
  });

  describe('tenant isolation: no path or key leads into another tenant’s data', () => {
    let bucket: string;
    beforeAll(async () => {
      // Alice's bucket, with a secret; bob has a bucket of the same name holding his own.
      bucket = bucketName('iso');
      await owner.createBucket(bucket);
      await owner.putObject(bucket, 'secret.txt', 'alice secret');
      await as('otherTenant').createBucket(bucket);
      await as('otherTenant').putObject(bucket, 'mine.txt', 'bob');
    });

    /** Sends the path exactly as written; fetch would resolve dot segments first. */
    const raw = (
      token: string,
      path: string,
    ): Promise<{ status: number; text: () => Promise<string> }> =>
      new Promise((resolve, reject) => {
        const request = httpRequest(
          `${app.baseUrl}${path}`,
          { headers: { authorization: `Bearer ${token}` } },
          (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => (body += chunk.toString()));
            response.on('end', () =>
              resolve({ status: response.statusCode ?? 0, text: async () => body }),
            );
          },
        );
        request.on('error', reject);
        request.end();
      });

    it.each([
      ['../ in the key', (b: string) => `/v1/buckets/${b}/objects/../../tenant-a/secret.txt`],
      ['encoded ../', (b: string) => `/v1/buckets/${b}/objects/..%2F..%2Fsecret.txt`],
      ['encoded dots', (b: string) => `/v1/buckets/${b}/objects/%2e%2e/secret.txt`],
      ['double-encoded', (b: string) => `/v1/buckets/${b}/objects/%252e%252e%252fsecret.txt`],
      [
        'fullwidth dots and slash',
        (b: string) => `/v1/buckets/${b}/objects/${encodeURIComponent('．．／secret.txt')}`,
      ],
      ['backslashes', (b: string) => `/v1/buckets/${b}/objects/..%5C..%5Csecret.txt`],
      ['leading slash', (b: string) => `/v1/buckets/${b}/objects/%2Fsecret.txt`],
      ['NUL byte', (b: string) => `/v1/buckets/${b}/objects/secret.txt%00`],
      ['bucket with ..', () => `/v1/buckets/..%2F${bucket}/objects/secret.txt`],
      ['look-alike bucket', (b: string) => `/v1/buckets/${b.replace('i', 'і')}/objects/secret.txt`],
      ['physical bucket name', () => `/v1/buckets/t0000000000-${bucket}/objects/secret.txt`],
    ])('%s', async (_, path) => {
      const response = await raw(who.otherTenant, path(bucket));
      expect([400, 404]).toContain(response.status);
      expect(await response.text()).not.toContain('alice secret');
    });

    it('bob’s keys resolve in bob’s bucket only, and alice sees only hers', async () => {
      expect(await (await as('otherTenant').getObject(bucket, 'mine.txt')).text()).toBe('bob');
      expect((await as('otherTenant').getObject(bucket, 'secret.txt')).status).toBe(404);
      expect((await owner.getObject(bucket, 'mine.txt')).status).toBe(404);
      const listed = (await (
        await as('otherTenant').request('GET', `/v1/buckets/${bucket}/objects`)
      ).json()) as {
        objects: { key: string }[];
      };
      expect(listed.objects.map((o) => o.key)).toEqual(['mine.txt']);
    });

    it('keys that would escape are refused on upload, with the reason', async () => {
      for (const key of ['../x', 'a/../../x', '．．/x', 'a//b', '/abs']) {
        // One encoded segment, so that no client resolves the dots before sending.
        const response = await owner.request(
          'PUT',
          `/v1/buckets/${bucket}/objects/${encodeURIComponent(key)}`,
          { body: 'x' },
        );
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({
          type: 'urn:iotwins:problem:invalid-object-key',
        });
      }
    });

    it('copies cannot name another tenant’s bucket as source', async () => {
      const response = await as('otherTenant').request('POST', `/v1/buckets/${bucket}/copies`, {
        json: { key: 'stolen.txt', sourceBucket: bucket, sourceKey: 'secret.txt' },
      });
      expect(response.status).toBe(404);
    });
  });
});
