import type { RunningApp } from '@iotwins/testing';
import { Api, json, modelName, principals, startRegistry } from './model-registry.fixture';

const PAGE = '<!doctype html><script>fetch("/v1/models").then(r=>r.text()).then(alert)</script>';
const SANDBOX = "sandbox; default-src 'none'";

function expectInert(response: Response, filename: string): void {
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('content-security-policy')).toBe(SANDBOX);
  expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${filename}"`);
}

/**
 * Issue 19, item 6, on the registry: a model file or an MLflow artifact is tenant bytes on the
 * API's origin. Uploaded as text/html, it is still never served as a page: every download
 * route sends nosniff, a sandboxing CSP and an attachment disposition, and presigned URLs are
 * signed so that MinIO answers them as attachments too.
 */
describe('model-registry downloads served inert, against the real MinIO and FerretDB', () => {
  let app: RunningApp;
  let api: Api;
  let model: string;

  beforeAll(async () => {
    const [started, who] = await Promise.all([startRegistry(), principals()]);
    app = started;
    api = new Api(app.baseUrl, who.writer);
    model = modelName('xss');
    expect((await api.createModel(model)).status).toBe(201);
    const upload = await api.uploadVersion(model, [
      { path: 'report/index.html', content: PAGE, type: 'text/html' },
    ]);
    expect(upload.status).toBe(201);
  });
  afterAll(async () => app?.close());

  it('streams a version’s HTML file as an attachment, unsniffed, sandboxed', async () => {
    const file = await api.request('GET', `/v1/models/${model}/versions/1/files/report/index.html`);
    expect(file.status).toBe(200);
    expectInert(file, 'index.html');
    expect(await file.text()).toBe(PAGE);
  });

  it('signs the attachment disposition into the redirect and the download URL', async () => {
    const redirect = await api.request(
      'GET',
      `/v1/models/${model}/versions/1/files/report/index.html?redirect=true`,
    );
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('x-content-type-options')).toBe('nosniff');
    const fromMinio = await fetch(redirect.headers.get('location')!);
    expect(fromMinio.status).toBe(200);
    expect(fromMinio.headers.get('content-disposition')).toBe('attachment; filename="index.html"');
    expect(fromMinio.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await fromMinio.text()).toBe(PAGE);

    const urls = await api.request(
      'GET',
      `/v1/models/${model}/versions/1/download-urls/report/index.html`,
    );
    expect(urls.status).toBe(200);
    const { url } = await json<{ url: string }>(urls);
    const viaUrl = await fetch(url);
    expect(viaUrl.headers.get('content-disposition')).toBe('attachment; filename="index.html"');
    await viaUrl.arrayBuffer();
    const stripped = new URL(url);
    stripped.searchParams.delete('response-content-disposition');
    const refused = await fetch(stripped);
    expect(refused.status).toBe(403);
    await refused.arrayBuffer();
  });

  it('serves an MLflow artifact uploaded as HTML inert, also under model-versions/', async () => {
    const path = `${model}/run/page.html`;
    // Other bytes than version 1's file: the same content twice is refused as a duplicate.
    const artifact = `${PAGE}<!-- artifact -->`;
    const put = await api.request('PUT', `/api/2.0/mlflow-artifacts/artifacts/${path}`, {
      body: artifact,
      headers: { 'content-type': 'text/html' },
    });
    expect(put.status).toBe(200);
    const got = await api.request('GET', `/api/2.0/mlflow-artifacts/artifacts/${path}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('text/html');
    expectInert(got, 'page.html');
    expect(await got.text()).toBe(artifact);

    const version = await api.request('POST', '/api/2.0/mlflow/model-versions/create', {
      json: { name: model, source: `mlflow-artifacts:/${model}/run` },
    });
    expect(version.status).toBe(200);
    const uri = (
      await json<{ artifact_uri: string }>(
        await api.request(
          'GET',
          `/api/2.0/mlflow/model-versions/get-download-uri?name=${model}&version=2`,
        ),
      )
    ).artifact_uri;
    const versionPath = uri.replace(/^mlflow-artifacts:\//, '');
    const fromVersion = await api.request(
      'GET',
      `/api/2.0/mlflow-artifacts/artifacts/${versionPath}/page.html`,
    );
    expect(fromVersion.status).toBe(200);
    expectInert(fromVersion, 'page.html');
    await fromVersion.arrayBuffer();
  });
});
