import type { RunningApp } from '@iotwins/testing';
import { Api, bucketName, encodeKey, principals, startObjectstore } from './objectstore.fixture';

const PAGE = '<!doctype html><script>fetch("/v1/buckets").then(r=>r.text()).then(alert)</script>';
const SANDBOX = "sandbox; default-src 'none'";

/** Every header that decides whether a browser renders the bytes as a page of our origin. */
function expectInert(response: Response, filename: string): void {
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('content-security-policy')).toBe(SANDBOX);
  expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${filename}"`);
}

/**
 * Issue 19, item 6: an object uploaded as text/html and made public-read was served by
 * GET /v1/public/... as a page of the API's origin (the one serving /docs). Every route that
 * returns tenant bytes now serves them inert; only a bucket that explicitly asks for inline
 * web content gets them inline, and even then in a sandbox (an opaque origin).
 */
describe('objectstore serves tenant bytes inert, against the real MinIO', () => {
  let app: RunningApp;
  let owner: Api;
  let anonymous: Api;
  let bucket: string;
  const key = 'site/index.html';

  beforeAll(async () => {
    const [started, who] = await Promise.all([startObjectstore(), principals()]);
    app = started;
    owner = new Api(app.baseUrl, who.owner);
    anonymous = owner.as(undefined);
    bucket = bucketName('xss');
    expect((await owner.createBucket(bucket, 'public-read')).status).toBe(201);
    const put = await owner.putObject(bucket, key, PAGE, {
      'content-type': 'text/html',
      // A stored disposition asking for inline display is not honoured by default.
      'content-disposition': 'inline',
    });
    expect(put.status).toBe(200);
  });
  afterAll(async () => app?.close());

  it('answers the public GET and HEAD of an HTML object as an attachment, unsniffed, sandboxed', async () => {
    const path = `/v1/public/tenant-a/${bucket}/${key}`;
    const get = await anonymous.request('GET', path);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('text/html');
    expectInert(get, 'index.html');
    expect(await get.text()).toBe(PAGE);
    const head = await anonymous.request('HEAD', path);
    expect(head.status).toBe(200);
    expectInert(head, 'index.html');
  });

  it('answers the authenticated GET, a range and a 304 the same way', async () => {
    const get = await owner.getObject(bucket, key);
    expect(get.status).toBe(200);
    expectInert(get, 'index.html');
    const etag = get.headers.get('etag')!;
    await get.arrayBuffer();

    const range = await owner.getObject(bucket, key, { range: 'bytes=0-9' });
    expect(range.status).toBe(206);
    expectInert(range, 'index.html');
    await range.arrayBuffer();

    const notModified = await owner.getObject(bucket, key, { 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expectInert(notModified, 'index.html');
  });

  it('signs the attachment disposition into redirects and presigned GETs, so MinIO serves them inert too', async () => {
    const redirect = await owner.request(
      'GET',
      `/v1/buckets/${bucket}/objects/${encodeKey(key)}?redirect=true`,
      { redirect: 'manual' },
    );
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('x-content-type-options')).toBe('nosniff');
    const location = redirect.headers.get('location')!;
    expect(new URL(location).searchParams.get('response-content-disposition')).toBe(
      'attachment; filename="index.html"',
    );
    const fromMinio = await fetch(location);
    expect(fromMinio.status).toBe(200);
    expect(fromMinio.headers.get('content-disposition')).toBe('attachment; filename="index.html"');
    expect(fromMinio.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await fromMinio.text()).toBe(PAGE);

    const presigned = await owner.request('POST', `/v1/buckets/${bucket}/presigned-urls`, {
      json: { method: 'GET', keys: [key] },
    });
    expect(presigned.status).toBe(201);
    const { urls } = (await presigned.json()) as { urls: { url: string }[] };
    const viaUrl = await fetch(urls[0]!.url);
    expect(viaUrl.status).toBe(200);
    expect(viaUrl.headers.get('content-disposition')).toBe('attachment; filename="index.html"');
    await viaUrl.arrayBuffer();
    // The disposition is part of the signature: a URL holder cannot drop it.
    const stripped = new URL(urls[0]!.url);
    stripped.searchParams.delete('response-content-disposition');
    expect((await fetch(stripped)).status).toBe(403);
  });

  it('gives names that could break the header an RFC 6266 fallback and filename*', async () => {
    const odd = 'site/Bericht "März".html';
    expect((await owner.putObject(bucket, odd, PAGE, { 'content-type': 'text/html' })).status).toBe(
      200,
    );
    const get = await anonymous.request('GET', `/v1/public/tenant-a/${bucket}/${encodeKey(odd)}`);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-disposition')).toBe(
      `attachment; filename="Bericht _M_rz_.html"; filename*=UTF-8''Bericht%20%22M%C3%A4rz%22.html`,
    );
    await get.arrayBuffer();
  });

  it('serves inline only for a bucket that explicitly asks, still nosniff and in an opaque-origin sandbox', async () => {
    const site = bucketName('site');
    const created = await owner.request('POST', '/v1/buckets', {
      json: { name: site, acl: 'public-read', inlineContent: true },
    });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { inlineContent: boolean }).inlineContent).toBe(true);
    expect((await owner.putObject(site, key, PAGE, { 'content-type': 'text/html' })).status).toBe(
      200,
    );
    const inline = await anonymous.request('GET', `/v1/public/tenant-a/${site}/${key}`);
    expect(inline.status).toBe(200);
    expect(inline.headers.get('content-disposition')).toBe('inline');
    expect(inline.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = inline.headers.get('content-security-policy')!;
    expect(csp).toMatch(/^sandbox /);
    expect(csp).not.toContain('allow-same-origin');
    await inline.arrayBuffer();

    // Turned off again, the same object is an attachment.
    const off = await owner.request('PUT', `/v1/buckets/${site}/inline-content`, {
      json: { enabled: false },
    });
    expect(off.status).toBe(200);
    expect(await off.json()).toEqual({ enabled: false });
    const attachment = await anonymous.request('GET', `/v1/public/tenant-a/${site}/${key}`);
    expectInert(attachment, 'index.html');
    await attachment.arrayBuffer();

    // A bucket's setting is its owner's: a reader of the tenant may not turn it on.
    const reader = owner.as((await principals()).reader);
    const refused = await reader.request('PUT', `/v1/buckets/${site}/inline-content`, {
      json: { enabled: true },
    });
    expect(refused.status).toBe(403);
    const notBoolean = await owner.request('PUT', `/v1/buckets/${site}/inline-content`, {
      json: { enabled: 'yes' },
    });
    expect(notBoolean.status).toBe(400);
  });

  it('refuses NUL, lone surrogates and (for new keys) bidi overrides in keys with 400, never a 5xx', async () => {
    const cases: Array<[string, number]> = [
      ['a%00b.txt', 400],
      ['x%E2%80%AEgpj.exe', 400],
      ['ok%01.txt', 400],
    ];
    for (const [encoded, status] of cases) {
      const put = await owner.request('PUT', `/v1/buckets/${bucket}/objects/${encoded}`, {
        body: 'x',
      });
      expect([encoded, put.status]).toEqual([encoded, status]);
      const get = await owner.request('GET', `/v1/buckets/${bucket}/objects/${encoded}`);
      expect(get.status).toBeLessThan(500);
      await get.arrayBuffer();
    }
    const surrogate = await owner.request('POST', `/v1/buckets/${bucket}/presigned-urls`, {
      json: { method: 'PUT', keys: ['ok.txt', 'bad\uD800.txt', 'a\u0000b'] },
    });
    expect(surrogate.status).toBe(400);
    const problem = (await surrogate.json()) as { errors: { pointer: string }[] };
    expect(problem.errors.map((e) => e.pointer)).toEqual(['/keys/1', '/keys/2']);
    const metadata = await owner.putObject(bucket, 'meta.txt', 'x', {
      'x-amz-meta-note': 'caf\u00e9',
    });
    expect(metadata.status).toBe(400);
  });
});
