import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { RunningApp } from '@iotwins/testing';
import { Api, bucketName, EventTap, openSuite, type Principals } from './objectstore.fixture';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const MIB = 1024 * 1024;

describe('objectstore objects against the real MinIO', () => {
  let app: RunningApp;
  let who: Principals;
  let api: Api;
  let bucket: string;
  let tap: EventTap;

  beforeAll(async () => {
    // Small parts and a small limit, so multipart and the limit are exercised with little data.
    ({ app, who, tap } = await openSuite({
      OBJECTSTORE_PART_SIZE_BYTES: String(5 * MIB),
      OBJECTSTORE_MAX_OBJECT_BYTES: String(40 * MIB),
    }));
    api = new Api(app.baseUrl, who.owner);
    bucket = bucketName('objects');
    expect((await api.createBucket(bucket)).status).toBe(201);
  });
  afterAll(async () => {
    await tap?.close();
    await app?.close();
  });

  it('stores an object with its type and metadata, returns its SHA-256, and serves it back', async () => {
    const body = 'time,temperature\n2021-02-01T00:00:00Z,21.5\n';
    const put = await api.putObject(bucket, 'metrics/2021/February/data.csv', body, {
      'content-type': 'text/csv; charset=utf-8',
      'x-amz-meta-station': 'north-7',
      'cache-control': 'max-age=60',
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({
      bucket,
      key: 'metrics/2021/February/data.csv',
      size: Buffer.byteLength(body),
      sha256: sha256(body),
      contentType: 'text/csv; charset=utf-8',
    });
    const get = await api.getObject(bucket, 'metrics/2021/February/data.csv');
    expect(get.status).toBe(200);
    expect(await get.text()).toBe(body);
    expect(get.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(get.headers.get('x-amz-meta-station')).toBe('north-7');
    expect(get.headers.get('cache-control')).toBe('max-age=60');
    expect(get.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(get.headers.get('last-modified')).toMatch(/GMT$/);
    const created = await tap.next(
      (e) =>
        e.type === 'objectstore.object.created.v1' &&
        e.data.key === 'metrics/2021/February/data.csv',
    );
    expect(created.data).toMatchObject({
      bucket,
      size: Buffer.byteLength(body),
      cause: 's3:ObjectCreated:Put',
    });
  });

  it('keeps a JSON object as bytes, not as parsed JSON', async () => {
    const body = '{"b": 2,   "a": [1, 2]}';
    expect(
      (await api.putObject(bucket, 'config.json', body, { 'content-type': 'application/json' }))
        .status,
    ).toBe(200);
    expect(await (await api.getObject(bucket, 'config.json')).text()).toBe(body);
  });

  it('serves ranges, and answers conditional requests with 304 and 412', async () => {
    const body = 'abcdefghijklmnopqrstuvwxyz';
    await api.putObject(bucket, 'alphabet.txt', body, { 'content-type': 'text/plain' });
    const range = await api.getObject(bucket, 'alphabet.txt', { range: 'bytes=2-5' });
    expect(range.status).toBe(206);
    expect(await range.text()).toBe('cdef');
    expect(range.headers.get('content-range')).toBe(`bytes 2-5/${body.length}`);
    const suffix = await api.getObject(bucket, 'alphabet.txt', { range: 'bytes=-3' });
    expect(await suffix.text()).toBe('xyz');
    expect((await api.getObject(bucket, 'alphabet.txt', { range: 'bytes=100-200' })).status).toBe(
      416,
    );

    const full = await api.getObject(bucket, 'alphabet.txt');
    const etag = full.headers.get('etag')!;
    const lastModified = full.headers.get('last-modified')!;
    await full.arrayBuffer();
    const notModified = await api.getObject(bucket, 'alphabet.txt', { 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe('');
    expect(
      (await api.getObject(bucket, 'alphabet.txt', { 'if-modified-since': lastModified })).status,
    ).toBe(304);
    expect(
      (await api.getObject(bucket, 'alphabet.txt', { 'if-none-match': '"other"' })).status,
    ).toBe(200);
    const failed = await api.getObject(bucket, 'alphabet.txt', { 'if-match': '"other"' });
    expect(failed.status).toBe(412);
    expect(await failed.json()).toMatchObject({ type: 'urn:iotwins:problem:precondition-failed' });
  });

  it('redirects a GET to a short-lived presigned URL on ?redirect=true, after the same checks', async () => {
    await api.putObject(bucket, 'redirect/report.txt', 'abcdefghij', {
      'content-type': 'text/plain',
    });
    const answer = await api.request(
      'GET',
      `/v1/buckets/${bucket}/objects/redirect/report.txt?redirect=true`,
      {
        redirect: 'manual',
      },
    );
    expect(answer.status).toBe(307);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const location = answer.headers.get('location')!;
    expect(location).toMatch(/X-Amz-Expires=60&/);
    const ranged = await fetch(location, { headers: { range: 'bytes=2-4' } });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toBe('cde');
    // fetch follows it by itself, and drops the bearer token on the way to another origin.
    const followed = await api.request(
      'GET',
      `/v1/buckets/${bucket}/objects/redirect/report.txt?redirect=true`,
    );
    expect(followed.status).toBe(200);
    expect(await followed.text()).toBe('abcdefghij');
    // Others get the answer a streamed GET would give them.
    const byOtherMember = await fetch(
      `${app.baseUrl}/v1/buckets/${bucket}/objects/redirect/report.txt?redirect=true`,
      {
        headers: { authorization: `Bearer ${who.writer}` },
        redirect: 'manual',
      },
    );
    expect(byOtherMember.status).toBe(403);
    const invalid = await api.request(
      'GET',
      `/v1/buckets/${bucket}/objects/redirect/report.txt?redirect=yes`,
    );
    expect(invalid.status).toBe(400);
  });

  it('answers HEAD with the headers and no body', async () => {
    await api.putObject(bucket, 'head.bin', Buffer.alloc(1234, 7), { 'x-amz-meta-kind': 'zeros' });
    const head = await api.request('HEAD', `/v1/buckets/${bucket}/objects/head.bin`);
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('1234');
    expect(head.headers.get('x-amz-meta-kind')).toBe('zeros');
    expect((await api.request('HEAD', `/v1/buckets/${bucket}/objects/missing.bin`)).status).toBe(
      404,
    );
  });

  it('deletes with 204, then answers 404 for the object', async () => {
    await api.putObject(bucket, 'to-delete.txt', 'x');
    expect(
      (await api.request('DELETE', `/v1/buckets/${bucket}/objects/to-delete.txt`)).status,
    ).toBe(204);
    const gone = await api.getObject(bucket, 'to-delete.txt');
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ type: 'urn:iotwins:problem:object-not-found' });
    expect(
      (await api.request('DELETE', `/v1/buckets/${bucket}/objects/to-delete.txt`)).status,
    ).toBe(404);
    await tap.next(
      (e) => e.type === 'objectstore.object.deleted.v1' && e.data.key === 'to-delete.txt',
    );
  });

  it('lists by prefix, folds logical folders with "/", and pages with a cursor', async () => {
    const listed = bucketName('list');
    await api.createBucket(listed);
    const keys = [
      'metrics/2021/February/data.csv',
      'metrics/2021/January/data.csv',
      'metrics/2021/readme.txt',
      'metrics/2022/March/data.csv',
      'models/a.onnx',
      'top.txt',
    ];
    for (const key of keys) await api.putObject(listed, key, key);
    const list = async (query: string) =>
      (await (await api.request('GET', `/v1/buckets/${listed}/objects?${query}`)).json()) as {
        objects: { key: string; size: number }[];
        prefixes: string[];
        nextCursor?: string;
      };
    expect((await list('')).objects.map((o) => o.key)).toEqual([...keys].sort());
    const root = await list('delimiter=/');
    expect(root.prefixes).toEqual(['metrics/', 'models/']);
    expect(root.objects.map((o) => o.key)).toEqual(['top.txt']);
    const year = await list('prefix=metrics/2021/&delimiter=/');
    expect(year.prefixes).toEqual(['metrics/2021/February/', 'metrics/2021/January/']);
    expect(year.objects).toEqual([
      expect.objectContaining({ key: 'metrics/2021/readme.txt', size: 23 }),
    ]);

    // Pages of one: every folder once, in order.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(
        `prefix=metrics/&delimiter=/&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.prefixes, ...page.objects.map((o) => o.key));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['metrics/2021/', 'metrics/2022/']);
    const flat: string[] = [];
    cursor = undefined;
    do {
      const page = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.objects.length).toBeLessThanOrEqual(2);
      flat.push(...page.objects.map((o) => o.key));
      cursor = page.nextCursor;
    } while (cursor);
    expect(flat).toEqual([...keys].sort());
    const bad = await api.request('GET', `/v1/buckets/${listed}/objects?delimiter=,&limit=0`);
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { errors: { pointer: string }[] }).errors.map((e) => e.pointer),
    ).toEqual(['delimiter', 'limit']);
  });

  it('copies server-side within a bucket and across the tenant’s buckets, metadata included', async () => {
    const other = bucketName('copy');
    await api.createBucket(other);
    await api.putObject(bucket, 'original.csv', 'a,b\n1,2\n', {
      'content-type': 'text/csv',
      'x-amz-meta-origin': 'plc-3',
    });
    const copy = await api.request('POST', `/v1/buckets/${other}/copies`, {
      json: { key: 'archive/copy.csv', sourceBucket: bucket, sourceKey: 'original.csv' },
    });
    expect(copy.status).toBe(201);
    expect(await copy.json()).toMatchObject({
      bucket: other,
      key: 'archive/copy.csv',
      etag: expect.any(String),
    });
    const copied = await api.getObject(other, 'archive/copy.csv');
    expect(await copied.text()).toBe('a,b\n1,2\n');
    expect(copied.headers.get('content-type')).toBe('text/csv');
    expect(copied.headers.get('x-amz-meta-origin')).toBe('plc-3');
    const missing = await api.request('POST', `/v1/buckets/${other}/copies`, {
      json: { key: 'x', sourceKey: 'does-not-exist' },
    });
    expect(missing.status).toBe(404);
    await tap.next(
      (e) => e.type === 'objectstore.object.created.v1' && e.data.key === 'archive/copy.csv',
    );
  });

  it('uploads a body larger than a part as multipart, streamed, with the right SHA-256', async () => {
    const body = randomBytes(12 * MIB + 12345);
    const put = await api.putObject(bucket, 'big/random.bin', body, {
      'content-type': 'application/octet-stream',
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ size: body.length, sha256: sha256(body) });
    const get = await api.getObject(bucket, 'big/random.bin');
    expect(get.headers.get('etag')).toMatch(/-3"$/); // three parts
    expect(sha256(Buffer.from(await get.arrayBuffer()))).toBe(sha256(body));
    const event = await tap.next(
      (e) => e.type === 'objectstore.object.created.v1' && e.data.key === 'big/random.bin',
    );
    expect(event.data).toMatchObject({
      size: body.length,
      cause: 's3:ObjectCreated:CompleteMultipartUpload',
    });
  });

  it('refuses a body over the size limit with 413, by its length or as it streams, storing nothing', async () => {
    const declared = await sendUntilAnswered(
      'too-big.bin',
      { 'content-length': String(41 * MIB) },
      41,
    );
    expect(declared).toMatchObject({
      status: 413,
      body: expect.stringContaining('object-too-large'),
    });
    // Chunked, so the length is known only by counting.
    const streamed = await sendUntilAnswered(
      'too-big-streamed.bin',
      { 'transfer-encoding': 'chunked' },
      42,
    );
    expect(streamed).toMatchObject({
      status: 413,
      body: expect.stringContaining('object-too-large'),
    });
    expect((await api.getObject(bucket, 'too-big.bin')).status).toBe(404);
    expect((await api.getObject(bucket, 'too-big-streamed.bin')).status).toBe(404);
  });

  /** Sends MiB after MiB until the app answers, as a sender that reads answers early does. */
  function sendUntilAnswered(
    key: string,
    headers: Record<string, string>,
    mebibytes: number,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(new URL(`${app.baseUrl}/v1/buckets/${bucket}/objects/${key}`), {
        method: 'PUT',
        headers: { authorization: `Bearer ${who.owner}`, ...headers },
      });
      let answered = false;
      request.on('response', (response) => {
        answered = true;
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => {
          request.destroy();
          resolve({ status: response.statusCode ?? 0, body });
        });
      });
      request.on('error', (error) => {
        if (!answered) reject(error);
      });
      const chunk = randomBytes(MIB);
      let sent = 0;
      const pump = (): void => {
        while (!answered && sent < mebibytes) {
          sent += 1;
          if (!request.write(chunk)) {
            request.once('drain', pump);
            return;
          }
        }
        if (!answered) request.end();
      };
      pump();
    });
  }

  it('stores nothing when the sender goes away in the middle of an upload', async () => {
    const url = new URL(`${app.baseUrl}/v1/buckets/${bucket}/objects/interrupted.bin`);
    await new Promise<void>((resolve) => {
      const request = httpRequest(url, {
        method: 'PUT',
        headers: { authorization: `Bearer ${who.owner}`, 'content-length': String(20 * MIB) },
      });
      request.on('error', () => resolve());
      request.write(randomBytes(7 * MIB));
      setTimeout(() => {
        request.destroy();
        resolve();
      }, 1_000);
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await api.getObject(bucket, 'interrupted.bin')).status).toBe(404);
  });

  it('names each upload header it refuses', async () => {
    const response = await api.putObject(bucket, 'bad-headers.txt', 'x', {
      'x-amz-meta-bad.name': 'x',
      'x-amz-meta-long': 'y'.repeat(2100),
    });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { pointer: string }[] };
    expect(problem.errors.map((e) => e.pointer)).toEqual(['x-amz-meta-bad.name', 'x-amz-meta-*']);
    // A content type that is no media type at all is refused before any parsing.
    const badType = await api.putObject(bucket, 'bad-type.txt', 'x', {
      'content-type': 'not-a-type',
    });
    expect(badType.status).toBe(415);
    expect((await api.getObject(bucket, 'bad-headers.txt')).status).toBe(404);
  });

  it('gets and sets an object’s own ACL, owner only', async () => {
    await api.putObject(bucket, 'acl/own.txt', 'x');
    const path = `/v1/buckets/${bucket}/object-acls/acl/own.txt`;
    expect(await (await api.request('GET', path)).json()).toEqual({
      acl: null,
      effective: 'private',
    });
    expect(
      (await api.as(who.writer).request('PUT', path, { json: { acl: 'public-read' } })).status,
    ).toBe(403);
    expect(await (await api.request('PUT', path, { json: { acl: 'public-read' } })).json()).toEqual(
      {
        acl: 'public-read',
        effective: 'public-read',
      },
    );
    expect(await (await api.request('PUT', path, { json: { acl: null } })).json()).toEqual({
      acl: null,
      effective: 'private',
    });
    expect((await api.request('PUT', path, { json: { acl: 'everyone' } })).status).toBe(400);
    expect((await api.request('GET', `/v1/buckets/${bucket}/object-acls/missing.txt`)).status).toBe(
      404,
    );
    // Set on upload too.
    await api.putObject(bucket, 'acl/at-upload.txt', 'x', { 'x-iotwins-acl': 'tenant-read' });
    expect(
      await (
        await api.request('GET', `/v1/buckets/${bucket}/object-acls/acl/at-upload.txt`)
      ).json(),
    ).toEqual({
      acl: 'tenant-read',
      effective: 'tenant-read',
    });
  });
});
