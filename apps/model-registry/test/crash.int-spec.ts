import { randomBytes } from 'node:crypto';
import { startAppProcess, uniqueName, waitFor, type AppProcess } from '@iotwins/testing';
import {
  Api,
  DEFAULT_METADATA,
  json,
  listKeys,
  modelName,
  principals,
} from './model-registry.fixture';

/** Runs the built app (apps/model-registry/dist): build first. */
describe('a registry killed in the middle of an upload', () => {
  let first: AppProcess | undefined;
  let second: AppProcess | undefined;
  afterAll(async () => {
    await first?.stop('SIGKILL');
    await second?.stop();
  });

  it('leaves no version without files, and its files are swept at the next start', async () => {
    const who = await principals();
    first = await startAppProcess('model-registry');
    const api = new Api(first.baseUrl, who.writer);
    const model = modelName('crash');
    expect((await api.createModel(model)).status).toBe(201);
    const marker = uniqueName('complete');
    const boundary = `----crash${randomBytes(8).toString('hex')}`;
    const head =
      `--${boundary}\r\ncontent-disposition: form-data; name="metadata"\r\n\r\n${JSON.stringify(DEFAULT_METADATA)}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${marker}.bin"\r\ncontent-type: application/octet-stream\r\n\r\n${randomBytes(64 * 1024).toString('base64')}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="never-finished.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`;
    // The second file never ends: the body keeps trickling until the app is killed.
    let stop = false;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode(head));
        while (!stop) {
          controller.enqueue(randomBytes(1024));
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        controller.close();
      },
    });
    const upload = fetch(`${first.baseUrl}/v1/models/${model}/versions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${who.writer}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      body,
      duplex: 'half',
    } as RequestInit).catch((error: unknown) => error);
    // The first file is complete in S3 before the crash: that is what must not stay behind.
    await waitFor('the first file stored', async () =>
      (await listKeys('tenants/tenant-a/models/')).some((key) => key.endsWith(`${marker}.bin`)),
    );
    await first.stop('SIGKILL');
    stop = true;
    await upload;

    second = await startAppProcess('model-registry', { MODEL_REGISTRY_ORPHAN_GRACE_S: '0' });
    const after = new Api(second.baseUrl, who.writer);
    const versions = await json<{ versions: unknown[] }>(
      await after.request('GET', `/v1/models/${model}/versions`),
    );
    expect(versions.versions).toEqual([]);
    await waitFor('the orphan swept', async () =>
      (await listKeys('tenants/tenant-a/models/')).every((key) => !key.endsWith(`${marker}.bin`)),
    );
    // And the registry still takes a version of that model.
    const created = await after.uploadVersion(model, [
      { path: 'model.onnx', content: 'after crash' },
    ]);
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({ version: 1 });
  });
});
