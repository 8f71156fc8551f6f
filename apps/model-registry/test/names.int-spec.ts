import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { requireEnv, type RunningApp } from '@iotwins/testing';
import { Api, json, modelName, principals, startRegistry } from './model-registry.fixture';

interface Problem {
  status: number;
  errors?: { pointer: string; detail: string }[];
}

/**
 * Issue 19: a NUL in a model name was a 500 (FerretDB error 22P05) on GET /v1/models/a%00b and
 * on the MLflow create and get routes, and the MLflow create route accepted names the REST
 * route refused ("../x", "a/b", control characters, U+202E). One name rule per resource now
 * serves both; a model stored under a name that is no longer valid stays reachable.
 */
describe('model-registry name rules on REST and MLflow alike, against the real FerretDB', () => {
  let app: RunningApp;
  let api: Api;
  const statuses: number[] = [];

  async function call(method: string, path: string, body?: unknown): Promise<Response> {
    const response = await api.request(method, path, body === undefined ? {} : { json: body });
    statuses.push(response.status);
    return response;
  }
  const mlflow = (path: string): string => `/api/2.0/mlflow/${path}`;

  beforeAll(async () => {
    const [started, who] = await Promise.all([startRegistry(), principals()]);
    app = started;
    api = new Api(app.baseUrl, who.writer);
  });
  afterAll(async () => {
    await app?.close();
    // Not one of the hostile requests of this file may have been answered with a 5xx.
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
  });

  it('answers a NUL in a model name 400 naming the field, on REST and MLflow routes', async () => {
    const rest = await call('GET', '/v1/models/a%00b');
    expect(rest.status).toBe(400);
    const problem = await json<Problem>(rest);
    expect(problem.errors).toEqual([
      { pointer: '/params/model', detail: 'must not contain the NUL character (U+0000)' },
    ]);

    const get = await call('GET', `${mlflow('registered-models/get')}?name=a%00b`);
    expect(get.status).toBe(400);
    const getError = await json<{ error_code: string; message: string }>(get);
    expect(getError.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(getError.message).toContain('/query/name');
    expect(getError.message).toContain('NUL');

    const create = await call('POST', mlflow('registered-models/create'), { name: 'a\u0000b' });
    expect(create.status).toBe(400);
    expect((await json<{ message: string }>(create)).message).toContain('/body/name');

    for (const [method, path, body] of [
      ['DELETE', '/v1/models/a%00b', undefined],
      ['GET', '/v1/models/a%00b/versions', undefined],
      ['PATCH', '/v1/models/x', { description: 'nul \u0000 inside' }],
      ['POST', '/v1/models', { name: modelName('ok'), tags: { 'k\u0000': 'v' } }],
      ['POST', '/v1/models', { name: modelName('ok'), description: 'bad \uD800 half' }],
      ['DELETE', mlflow('registered-models/delete'), { name: 'a\u0000b' }],
      ['POST', mlflow('registered-models/rename'), { name: 'a', new_name: 'b\u0000' }],
      ['POST', mlflow('registered-models/set-tag'), { name: 'a', key: 'k', value: 'v\u0000' }],
      ['GET', `${mlflow('model-versions/get')}?name=a%00b&version=1`, undefined],
      ['POST', mlflow('model-versions/create'), { name: 'a\u0000', source: 'mlflow-artifacts:/x' }],
      ['GET', '/v1/nodes/a%00b', undefined],
      ['GET', '/v1/deployments/a%00b', undefined],
    ] as const) {
      const response = await call(method, path, body);
      expect([method, path, response.status]).toEqual([method, path, 400]);
      await response.arrayBuffer();
    }
  });

  it('refuses on MLflow create and rename every name the REST route refuses, so none is reachable later', async () => {
    const suffix = randomUUID().slice(0, 8);
    const hostile = [
      `../x${suffix}`,
      `a/b${suffix}`,
      `ctl\u0001${suffix}`,
      `bidi\u202Egpj${suffix}`,
      `@alias${suffix}`,
      ` space${suffix}`,
      '',
    ];
    for (const name of hostile) {
      const viaMlflow = await call('POST', mlflow('registered-models/create'), { name });
      expect([name, viaMlflow.status]).toEqual([name, 400]);
      expect((await json<{ message: string }>(viaMlflow)).message).toContain('/name');
      const viaRest = await call('POST', '/v1/models', { name });
      expect([name, viaRest.status]).toEqual([name, 400]);
      await viaRest.arrayBuffer();
      if (name === '') continue;
      const lookup = await call('GET', `/v1/models/${encodeURIComponent(name)}`);
      expect(lookup.status).toBeGreaterThanOrEqual(400);
      expect(lookup.status).toBeLessThan(500);
      await lookup.arrayBuffer();
    }
    // Renames follow the same rule.
    const valid = modelName('named');
    expect((await call('POST', mlflow('registered-models/create'), { name: valid })).status).toBe(
      200,
    );
    const rename = await call('POST', mlflow('registered-models/rename'), {
      name: valid,
      new_name: `../y${suffix}`,
    });
    expect(rename.status).toBe(400);
    const patch = await call('PATCH', `/v1/models/${valid}`, { name: `a/b${suffix}` });
    expect(patch.status).toBe(400);
    // Aliases and tag keys: one rule as well.
    const alias = await call('POST', mlflow('registered-models/alias'), {
      name: valid,
      alias: 'bad.alias',
      version: 1,
    });
    expect(alias.status).toBe(400);
    const tag = await call('POST', mlflow('registered-models/set-tag'), {
      name: valid,
      key: 'has space',
      value: 'v',
    });
    expect(tag.status).toBe(400);
  });

  it('makes a name created on one API valid on the other', async () => {
    const viaMlflow = modelName('mlflow');
    expect(
      (await call('POST', mlflow('registered-models/create'), { name: viaMlflow })).status,
    ).toBe(200);
    expect((await call('GET', `/v1/models/${viaMlflow}`)).status).toBe(200);
    const viaRest = modelName('rest');
    expect((await call('POST', '/v1/models', { name: viaRest })).status).toBe(201);
    const got = await call('GET', `${mlflow('registered-models/get')}?name=${viaRest}`);
    expect(got.status).toBe(200);
    expect(await json(got)).toMatchObject({ registered_model: { name: viaRest } });
  });

  it('keeps a model stored under a name the rule now refuses readable, renameable and deletable', async () => {
    // What the MLflow route stored before the rule: written as it was, straight to FerretDB.
    const legacy = `../legacy-${randomUUID().slice(0, 8)}`;
    const mongo = await MongoClient.connect(requireEnv('MONGO_URL'));
    try {
      const now = new Date();
      await mongo
        .db()
        .collection('registered_models')
        .insertOne({
          _id: randomUUID() as never,
          tenant: 'tenant-a',
          name: legacy,
          description: '',
          tags: [],
          tagIndex: [],
          aliases: {},
          frameworks: [],
          createdBy: 'legacy',
          createdAt: now,
          updatedAt: now,
        });
    } finally {
      await mongo.close();
    }
    const encoded = encodeURIComponent(legacy);
    expect((await call('GET', `/v1/models/${encoded}`)).status).toBe(200);
    const viaMlflow = await call('GET', `${mlflow('registered-models/get')}?name=${encoded}`);
    expect(viaMlflow.status).toBe(200);
    // It can move to a valid name, or simply go.
    const renamed = modelName('renamed');
    const rename = await call('PATCH', `/v1/models/${encoded}`, { name: renamed });
    expect(rename.status).toBe(200);
    expect((await call('GET', `/v1/models/${renamed}`)).status).toBe(200);
    expect((await call('DELETE', `/v1/models/${renamed}`)).status).toBe(204);
    expect((await call('GET', `/v1/models/${renamed}`)).status).toBe(404);
  });

  it('refuses text the store refuses inside an upload’s metadata part with 400', async () => {
    const name = modelName('meta');
    expect((await call('POST', '/v1/models', { name })).status).toBe(201);
    const upload = await api.uploadVersion(name, [{ path: 'model.onnx', content: 'weights' }], {
      framework: { name: 'onnx', version: '1' },
      description: 'nul \u0000 here',
      hyperparameters: { 'k\u0000': 1 },
    });
    statuses.push(upload.status);
    expect(upload.status).toBe(400);
    const problem = await json<Problem>(upload);
    expect(problem.errors?.map((e) => e.pointer)).toEqual(
      expect.arrayContaining(['/description', '/hyperparameters/k\u0000']),
    );
  });
});
