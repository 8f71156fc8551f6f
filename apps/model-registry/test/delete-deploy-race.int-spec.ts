import { uniqueName, type RunningApp } from '@iotwins/testing';
import { Api, json, modelName, principals, startRegistry } from './model-registry.fixture';

const ROUNDS = 20;

/**
 * Issue 19: deleting a model while a deployment of it was created let both succeed (2 of 8
 * tries), leaving a deployment of deleted files. The deletion claims the model before it looks
 * for deployments, a deployment checks for a claim after it is stored: whatever the
 * interleaving, never both succeed, and the loser is told with a 409.
 */
describe('model deletion and deployment creation serialised, against the real FerretDB', () => {
  let app: RunningApp;
  let api: Api;

  beforeAll(async () => {
    const [started, who] = await Promise.all([startRegistry(), principals()]);
    app = started;
    api = new Api(app.baseUrl, who.writer);
  });
  afterAll(async () => app?.close());

  it(`races a delete against a deployment ${ROUNDS} times: never both, and the end state agrees`, async () => {
    const outcomes: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round++) {
      const model = modelName('race');
      expect((await api.createModel(model)).status).toBe(201);
      expect(
        (await api.uploadVersion(model, [{ path: 'model.onnx', content: `weights ${round}` }]))
          .status,
      ).toBe(201);
      const deployment = uniqueName('race').toLowerCase();
      const [deleted, deployed] = await Promise.all([
        api.request('DELETE', `/v1/models/${model}`),
        api.request('POST', '/v1/deployments', {
          json: { name: deployment, model, version: 1, selector: 'race=1', image: 'a:1' },
        }),
      ]);
      const key = `delete ${deleted.status} / deploy ${deployed.status}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      const deleteOk = deleted.status === 204;
      const deployOk = deployed.status === 201;
      expect(deleteOk && deployOk).toBe(false);
      // The loser hears why: 409 (or 404 when the model was gone before it looked).
      if (!deleteOk) {
        expect(deleted.status).toBe(409);
        expect((await json<{ type: string }>(deleted)).type).toMatch(/model-(deployed|busy)$/);
      }
      if (!deployOk) {
        expect([404, 409]).toContain(deployed.status);
        if (deployed.status === 409)
          expect((await json<{ type: string }>(deployed)).type).toMatch(/model-being-deleted$/);
      }

      const modelNow = await api.request('GET', `/v1/models/${model}`);
      const deploymentNow = await api.request('GET', `/v1/deployments/${deployment}`);
      if (deleteOk) {
        expect(modelNow.status).toBe(404);
        expect(deploymentNow.status).toBe(404);
      } else {
        expect(modelNow.status).toBe(200);
        expect(deploymentNow.status).toBe(deployOk ? 200 : 404);
        // The files a standing deployment runs are all there.
        const file = await api.request('GET', `/v1/models/${model}/versions/1/files/model.onnx`);
        expect(file.status).toBe(200);
        expect(await file.text()).toBe(`weights ${round}`);
        if (deployOk)
          expect((await api.request('DELETE', `/v1/deployments/${deployment}`)).status).toBe(204);
        expect((await api.request('DELETE', `/v1/models/${model}`)).status).toBe(204);
      }
      await modelNow.arrayBuffer().catch(() => undefined);
      await deploymentNow.arrayBuffer().catch(() => undefined);
    }
    // For the record: which side won how often.
    console.log(`delete vs deploy over ${ROUNDS} rounds: ${JSON.stringify(outcomes)}`);
  });
});
