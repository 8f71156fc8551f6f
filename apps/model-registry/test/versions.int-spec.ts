import { createHash, randomBytes } from 'node:crypto';
import type { RunningApp } from '@iotwins/testing';
import {
  Api,
  DEFAULT_METADATA,
  EventTap,
  json,
  listKeys,
  modelName,
  openSuite,
  type Principals,
} from './model-registry.fixture';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const MIB = 1024 * 1024;

interface Version {
  model: string;
  version: number;
  status: string;
  sha256: string;
  size: number;
  aliases: string[];
  files: { path: string; size: number; sha256: string }[];
  [key: string]: unknown;
}

describe('model versions against the real FerretDB, MinIO and NATS', () => {
  let app: RunningApp;
  let who: Principals;
  let api: Api;
  let tap: EventTap;

  beforeAll(async () => {
    // A small limit, above one S3 part, so the over-limit upload takes the multipart path.
    ({ app, who, tap } = await openSuite({
      MODEL_REGISTRY_MAX_VERSION_BYTES: String(7 * MIB),
      MODEL_REGISTRY_PART_SIZE_BYTES: String(5 * MIB),
    }));
    api = new Api(app.baseUrl, who.writer);
  });
  afterAll(async () => {
    await tap?.close();
    await app?.close();
  });

  async function newModel(): Promise<string> {
    const name = modelName('v');
    expect((await api.createModel(name)).status).toBe(201);
    return name;
  }

  it('stores one artifact with its metadata, SHA-256 and size, and streams it back intact', async () => {
    const name = await newModel();
    const artifact = randomBytes(300_000);
    const created = await api.uploadVersion(name, [{ path: 'model.onnx', content: artifact }]);
    expect(created.status).toBe(201);
    const version = await json<Version>(created);
    expect(version).toMatchObject({
      model: name,
      version: 1,
      status: 'ready',
      framework: { name: 'onnx', version: '1.17.0' },
      metrics: { accuracy: 0.93, f1: 0.91 },
      validationMetric: { name: 'accuracy', value: 0.93, higherIsBetter: true },
      hyperparameters: { epochs: 20, lr: 0.001, optimizer: 'adam' },
      lineage: DEFAULT_METADATA.lineage,
      signature: DEFAULT_METADATA.signature,
      size: artifact.length,
      sha256: sha256(artifact),
      files: [{ path: 'model.onnx', size: artifact.length, sha256: sha256(artifact) }],
    });
    const download = await api.request('GET', `/v1/models/${name}/versions/1/files/model.onnx`);
    expect(download.status).toBe(200);
    expect(download.headers.get('x-checksum-sha256')).toBe(sha256(artifact));
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(artifact));
    const url = await json<{ url: string; sha256: string }>(
      await api.request('GET', `/v1/models/${name}/versions/1/download-urls/model.onnx`),
    );
    const presigned = await fetch(url.url);
    expect(presigned.status).toBe(200);
    expect(sha256(Buffer.from(await presigned.arrayBuffer()))).toBe(sha256(artifact));
    // The URL is for that one object: another key with the same signature is refused.
    const tampered = url.url.replace('model.onnx', 'other.onnx');
    expect((await fetch(tampered)).status).toBe(403);
    const model = await json<{ frameworks: string[] }>(
      await api.request('GET', `/v1/models/${name}`),
    );
    expect(model.frameworks).toEqual(['onnx']);
    const event = await tap.next(
      (e) => e.type === 'models.version.created.v1' && e.data.model === name,
    );
    expect(event.data).toMatchObject({ version: 1, sha256: sha256(artifact), framework: 'onnx' });
  });

  it('stores several files as one version and refuses the same content twice', async () => {
    const name = await newModel();
    const files = [
      { path: 'saved_model/saved_model.pb', content: randomBytes(1000) },
      { path: 'saved_model/variables/variables.data', content: randomBytes(5000) },
      { path: 'README.md', content: '# anomaly model\n' },
    ];
    const metadata = { ...DEFAULT_METADATA, framework: { name: 'tensorflow', version: '2.16' } };
    const created = await api.uploadVersion(name, files, metadata);
    expect(created.status).toBe(201);
    const version = await json<Version>(created);
    expect(version.files.map((f) => f.path)).toEqual([
      'README.md',
      'saved_model/saved_model.pb',
      'saved_model/variables/variables.data',
    ]);
    for (const file of files)
      expect(version.files.find((f) => f.path === file.path)?.sha256).toBe(sha256(file.content));
    const nested = await api.request(
      'GET',
      `/v1/models/${name}/versions/1/files/saved_model/variables/variables.data`,
    );
    expect(sha256(Buffer.from(await nested.arrayBuffer()))).toBe(sha256(files[1]!.content));
    const again = await api.uploadVersion(name, [...files].reverse(), metadata);
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({
      type: 'urn:iotwins:problem:duplicate-content',
      existingVersion: 1,
    });
    const listed = await json<{ versions: Version[] }>(
      await api.request('GET', `/v1/models/${name}/versions`),
    );
    expect(listed.versions.map((v) => v.version)).toEqual([1]);
  });

  it('numbers concurrent creates 1..n without a gap or a duplicate', async () => {
    const name = await newModel();
    const count = 8;
    const responses = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        api.uploadVersion(
          name,
          [{ path: 'model.pt', content: `weights ${i} ${randomBytes(8).toString('hex')}` }],
          {
            ...DEFAULT_METADATA,
            framework: { name: 'pytorch', version: '2.3' },
          },
        ),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(count).fill(201));
    const numbers = (await Promise.all(responses.map((r) => json<Version>(r)))).map(
      (v) => v.version,
    );
    expect([...numbers].sort((a, b) => a - b)).toEqual(
      Array.from({ length: count }, (_, i) => i + 1),
    );
  });

  it('refuses an upload over the limit while streaming and keeps nothing', async () => {
    const name = await newModel();
    const model = await json<{ name: string }>(await api.request('GET', `/v1/models/${name}`));
    const response = await api.uploadVersion(name, [
      { path: 'part-a.bin', content: randomBytes(3 * MIB) },
      { path: 'part-b.bin', content: randomBytes(5 * MIB) },
    ]);
    expect(response.status).toBe(413);
    expect(await json(response)).toMatchObject({
      type: 'urn:iotwins:problem:version-too-large',
      maxBytes: 7 * MIB,
    });
    expect(model.name).toBe(name);
    const listed = await json<{ versions: Version[] }>(
      await api.request('GET', `/v1/models/${name}/versions`),
    );
    expect(listed.versions).toEqual([]);
    // Neither the first, complete file nor the half-sent second one is left in the bucket.
    expect(
      await listKeys(`tenants/tenant-a/models/`).then((keys) =>
        keys.filter((k) => k.includes('part-a.bin') || k.includes('part-b.bin')),
      ),
    ).toEqual([]);
  });

  it.each([
    [
      'an unknown framework',
      { ...DEFAULT_METADATA, framework: { name: 'caffe', version: '1' } },
      [{ path: 'm.bin', content: 'x' }],
      400,
      'invalid-metadata',
      'framework.name must be one of pytorch, tensorflow, keras, onnx, sklearn, other',
    ],
    ['no file', DEFAULT_METADATA, [], 400, 'missing-file', 'at least one "file" part'],
    [
      'no metadata',
      null,
      [{ path: 'm.bin', content: 'x' }],
      400,
      'metadata-first',
      'must come before',
    ],
    [
      'metadata that is not JSON',
      '{nope',
      [{ path: 'm.bin', content: 'x' }],
      400,
      'invalid-metadata',
      'not valid JSON',
    ],
    [
      'a dot-dot path',
      DEFAULT_METADATA,
      [{ path: '../escape.bin', content: 'x' }],
      400,
      'invalid-file-path',
      '".."',
    ],
  ])('refuses %s precisely', async (_what, metadata, files, status, slug, detail) => {
    const name = await newModel();
    const response = await api.uploadVersion(name, files, metadata);
    expect(response.status).toBe(status);
    const problem = await json<{ type: string; detail: string }>(response);
    expect(problem.type).toBe(`urn:iotwins:problem:${slug}`);
    expect(problem.detail).toContain(detail);
    expect(
      (await json<{ versions: unknown[] }>(await api.request('GET', `/v1/models/${name}/versions`)))
        .versions,
    ).toEqual([]);
  });

  it('keeps a version immutable apart from description, tags and status', async () => {
    const name = await newModel();
    await api.uploadVersion(name, [{ path: 'model.pkl', content: 'sk' }]);
    const frozen = await api.request('PATCH', `/v1/models/${name}/versions/1`, {
      json: { metrics: { accuracy: 1 } },
    });
    expect(frozen.status).toBe(400);
    const archived = await api.request('PATCH', `/v1/models/${name}/versions/1`, {
      json: { status: 'archived', description: 'superseded', tags: { note: 'old' } },
    });
    expect(archived.status).toBe(200);
    expect(await json(archived)).toMatchObject({
      status: 'archived',
      description: 'superseded',
      tags: { note: 'old' },
      metrics: DEFAULT_METADATA.metrics,
    });
    await tap.next((e) => e.type === 'models.version.updated.v1' && e.data.model === name);
  });

  it('sets, moves, resolves and removes aliases, and refuses one on a missing version', async () => {
    const name = await newModel();
    await api.uploadVersion(name, [{ path: 'a.onnx', content: 'one' }]);
    await api.uploadVersion(name, [{ path: 'a.onnx', content: 'two' }]);
    const set = await api.request('PUT', `/v1/models/${name}/aliases/production`, {
      json: { version: 1 },
    });
    expect(set.status).toBe(200);
    expect(await json(set)).toMatchObject({ version: 1, aliases: ['production'] });
    const moved = await api.request('PUT', `/v1/models/${name}/aliases/production`, {
      json: { version: 2 },
    });
    expect(await json(moved)).toMatchObject({ version: 2, aliases: ['production'] });
    const event = await tap.next(
      (e) => e.type === 'models.alias.changed.v1' && e.data.model === name && e.data.version === 2,
    );
    expect(event.data).toMatchObject({ alias: 'production', previousVersion: 1 });
    const resolved = await api.request('GET', `/v1/model-refs/${name}@production`);
    expect(await json(resolved)).toMatchObject({ model: name, version: 2 });
    const byAlias = await api.request(
      'GET',
      `/v1/models/${name}/versions/@production/files/a.onnx`,
    );
    expect(await byAlias.text()).toBe('two');
    const missing = await api.request('PUT', `/v1/models/${name}/aliases/staging`, {
      json: { version: 9 },
    });
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({
      type: 'urn:iotwins:problem:version-not-found',
      detail: `Model "${name}" has no version 9`,
    });
    expect((await api.request('DELETE', `/v1/models/${name}/aliases/production`)).status).toBe(204);
    expect((await api.request('GET', `/v1/model-refs/${name}@production`)).status).toBe(404);
  });

  it('keeps tenants apart on every version and alias route', async () => {
    const name = await newModel();
    await api.uploadVersion(name, [{ path: 'm.onnx', content: 'secret weights' }]);
    await api.request('PUT', `/v1/models/${name}/aliases/production`, { json: { version: 1 } });
    const bob = api.as(who.otherTenant);
    for (const [method, path] of [
      ['GET', `/v1/models/${name}/versions`],
      ['GET', `/v1/models/${name}/versions/1`],
      ['GET', `/v1/models/${name}/versions/1/files/m.onnx`],
      ['GET', `/v1/models/${name}/versions/1/download-urls/m.onnx`],
      ['GET', `/v1/model-refs/${name}@production`],
      ['DELETE', `/v1/models/${name}/aliases/production`],
    ] as const)
      expect([method, path, (await bob.request(method, path)).status]).toEqual([method, path, 404]);
    expect(
      (await bob.request('PUT', `/v1/models/${name}/aliases/production`, { json: { version: 1 } }))
        .status,
    ).toBe(404);
    expect((await bob.uploadVersion(name, [{ path: 'x', content: 'y' }])).status).toBe(404);
    expect(
      (
        await bob.request('PATCH', `/v1/models/${name}/versions/1`, {
          json: { status: 'archived' },
        })
      ).status,
    ).toBe(404);
    const still = await json<Version>(await api.request('GET', `/v1/models/${name}/versions/1`));
    expect(still.status).toBe('ready');
  });
});
