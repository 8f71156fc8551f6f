import type { Msg } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { nodeCommandSubject, nodeHeartbeatSubject, nodeStatusSubject } from '@iotwins/messaging';
import { requireEnv, uniqueName, waitFor, type RunningApp } from '@iotwins/testing';
import { parse } from 'yaml';
import {
  Api,
  EventTap,
  json,
  modelName,
  openSuite,
  type Principals,
} from './model-registry.fixture';

interface Deployment {
  name: string;
  version: number | null;
  revision: number;
  manifest: string | null;
  rollout?: { node: string; online: boolean; state: string; version?: number; reason?: string }[];
}

describe('edge nodes and deployments against the real FerretDB, MinIO and NATS', () => {
  let app: RunningApp;
  let who: Principals;
  let api: Api;
  let tap: EventTap;

  beforeAll(async () => {
    ({ app, who, tap } = await openSuite({
      MODEL_REGISTRY_NODE_OFFLINE_AFTER_S: '2',
      MODEL_REGISTRY_NODE_CHECK_INTERVAL_MS: '250',
    }));
    api = new Api(app.baseUrl, who.writer);
  });
  afterAll(async () => {
    await tap?.close();
    await app?.close();
  });

  async function modelWithTwoVersions(): Promise<string> {
    const name = modelName('anomalyd');
    await api.createModel(name);
    for (const content of ['v1 weights', 'v2 weights'])
      expect((await api.uploadVersion(name, [{ path: 'model.onnx', content }])).status).toBe(201);
    await api.request('PUT', `/v1/models/${name}/aliases/production`, { json: { version: 1 } });
    return name;
  }

  it('renders a DaemonSet for an alias on label testbed=7, and re-renders it when the alias moves', async () => {
    const model = await modelWithTwoVersions();
    const name = uniqueName('anomalyd').toLowerCase();
    const created = await api.request('POST', '/v1/deployments', {
      json: {
        name,
        model,
        alias: 'production',
        selector: 'testbed=7,role in (TransformerXXY),!maintenance',
        image: 'registry.iotwins.eu/anomalyd:1.4',
        env: { LOG_LEVEL: 'info' },
        resources: { limits: { cpu: '500m', memory: '256Mi' } },
      },
    });
    expect(created.status).toBe(201);
    const deployment = await json<Deployment>(created);
    expect(deployment).toMatchObject({ name, version: 1, revision: 1 });
    const manifest = parse(deployment.manifest!) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(manifest.apiVersion).toBe('apps/v1');
    expect(manifest.kind).toBe('DaemonSet');
    expect(manifest.metadata.name).toBe(name);
    expect(manifest.metadata.namespace).toBe('iotwins-tenant-a');
    expect(manifest.metadata.annotations['iotwins.eu/model']).toBe(model);
    expect(manifest.metadata.annotations['iotwins.eu/model-version']).toBe('1');
    expect(manifest.metadata.annotations['iotwins.eu/model-alias']).toBe('production');
    expect(manifest.spec.selector.matchLabels).toEqual(
      manifest.spec.template.metadata.labels && {
        'app.kubernetes.io/name': name,
        'app.kubernetes.io/managed-by': 'iotwins-model-registry',
      },
    );
    const pod = manifest.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ testbed: '7' });
    expect(
      pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    ).toEqual([
      {
        matchExpressions: [
          { key: 'role', operator: 'In', values: ['TransformerXXY'] },
          { key: 'maintenance', operator: 'DoesNotExist' },
        ],
      },
    ]);
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0].image).toBe('registry.iotwins.eu/anomalyd:1.4');
    expect(pod.containers[0].resources).toEqual({ limits: { cpu: '500m', memory: '256Mi' } });
    expect(pod.containers[0].env).toEqual(
      expect.arrayContaining([
        { name: 'MODEL_NAME', value: model },
        { name: 'MODEL_VERSION', value: '1' },
        { name: 'MODEL_URI', value: `models:/${model}/1` },
        { name: 'LOG_LEVEL', value: 'info' },
      ]),
    );
    await tap.next(
      (e) =>
        e.type === 'models.deployment.changed.v1' &&
        e.data.deployment === name &&
        e.data.cause === 'created',
    );

    await api.request('PUT', `/v1/models/${model}/aliases/production`, { json: { version: 2 } });
    const moved = await json<Deployment>(await api.request('GET', `/v1/deployments/${name}`));
    expect(moved).toMatchObject({ version: 2, revision: 2 });
    const remanifest = parse(moved.manifest!) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(remanifest.metadata.annotations['iotwins.eu/model-version']).toBe('2');
    expect(remanifest.spec.template.spec.containers[0].env).toEqual(
      expect.arrayContaining([{ name: 'MODEL_VERSION', value: '2' }]),
    );
    const event = await tap.next(
      (e) =>
        e.type === 'models.deployment.changed.v1' &&
        e.data.deployment === name &&
        e.data.cause === 'alias-moved',
    );
    expect(event.data).toMatchObject({ version: 2, revision: 2, alias: 'production', model });

    // A deployed model cannot be deleted.
    const refused = await api.request('DELETE', `/v1/models/${model}`);
    expect(refused.status).toBe(409);
    expect(await json(refused)).toMatchObject({
      type: 'urn:iotwins:problem:model-deployed',
      deployment: name,
    });
    expect((await api.request('DELETE', `/v1/deployments/${name}`)).status).toBe(204);
    expect((await api.request('DELETE', `/v1/models/${model}`)).status).toBe(204);
  });

  it('changes a deployment: re-rendered, announced, and pinned it no longer follows the alias', async () => {
    const model = await modelWithTwoVersions();
    const name = uniqueName('pinned').toLowerCase();
    await api.request('POST', '/v1/deployments', {
      json: { name, model, alias: 'production', selector: 'testbed=7', image: 'a:1' },
    });
    const changed = await api.request('PATCH', `/v1/deployments/${name}`, {
      json: { image: 'a:2', selector: 'testbed=7,zone in (north)', version: 2 },
    });
    expect(changed.status).toBe(200);
    const view = await json<Deployment>(changed);
    expect(view).toMatchObject({ version: 2, revision: 2 });
    expect(view).not.toHaveProperty('alias');
    const manifest = parse(view.manifest!) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(manifest.spec.template.spec.containers[0].image).toBe('a:2');
    expect(manifest.spec.template.spec.nodeSelector).toEqual({ testbed: '7' });
    expect(
      manifest.spec.template.spec.affinity.nodeAffinity
        .requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions,
    ).toEqual([{ key: 'zone', operator: 'In', values: ['north'] }]);
    expect(manifest.metadata.annotations).not.toHaveProperty('iotwins.eu/model-alias');
    await tap.next(
      (e) =>
        e.type === 'models.deployment.changed.v1' &&
        e.data.deployment === name &&
        e.data.cause === 'updated',
    );
    await api.request('PUT', `/v1/models/${model}/aliases/production`, { json: { version: 1 } });
    const after = await json<Deployment>(await api.request('GET', `/v1/deployments/${name}`));
    expect(after).toMatchObject({ version: 2, revision: 2 });
    const bad = await api.request('PATCH', `/v1/deployments/${name}`, {
      json: { selector: 'a in b' },
    });
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ type: 'urn:iotwins:problem:invalid-label-selector' });
    const bob = await api
      .as(who.otherTenant)
      .request('PATCH', `/v1/deployments/${name}`, { json: { image: 'evil:1' } });
    expect(bob.status).toBe(404);
  });

  it('refuses a malformed selector, a missing alias and another tenant', async () => {
    const model = await modelWithTwoVersions();
    const base = { name: uniqueName('d').toLowerCase(), model, alias: 'production', image: 'x:1' };
    const bad = await api.request('POST', '/v1/deployments', {
      json: { ...base, selector: 'testbed=7,,role' },
    });
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({
      type: 'urn:iotwins:problem:invalid-label-selector',
      errors: [{ pointer: '/selector' }],
    });
    const noAlias = await api.request('POST', '/v1/deployments', {
      json: { ...base, alias: 'staging', selector: 'testbed=7' },
    });
    expect(noAlias.status).toBe(404);
    expect(await json(noAlias)).toMatchObject({ type: 'urn:iotwins:problem:alias-not-found' });
    const bob = await api.as(who.otherTenant).request('POST', '/v1/deployments', {
      json: { ...base, selector: 'testbed=7' },
    });
    expect(bob.status).toBe(404);
    const reader = await api.as(who.reader).request('POST', '/v1/deployments', {
      json: { ...base, selector: 'testbed=7' },
    });
    expect(reader.status).toBe(403);
  });

  it('follows nodes over REST and NATS: online, rollout status, offline after the timeout', async () => {
    const model = await modelWithTwoVersions();
    const node = uniqueName('edge');
    // Other runs' nodes carry testbed=7 too: this run's label keeps its rollout to its node.
    const run = uniqueName('run');
    const registered = await api.request('POST', '/v1/nodes', {
      json: {
        name: node,
        labels: { testbed: '7', run },
        hardware: { cpu: 'arm64', gpu: false },
        runtime: { agent: '0.3' },
      },
    });
    expect(registered.status).toBe(201);
    expect(await json(registered)).toMatchObject({ name: node, online: false, lastSeen: null });
    const deployment = uniqueName('dep').toLowerCase();
    await api.request('POST', '/v1/deployments', {
      json: {
        name: deployment,
        model,
        alias: 'production',
        selector: `testbed=7,run=${run}`,
        image: 'a:1',
      },
    });

    const beat = await api.request('POST', `/v1/nodes/${node}/heartbeats`, { json: {} });
    expect(beat.status).toBe(201);
    await tap.next((e) => e.type === 'models.node.online.v1' && e.data.node === node);

    const nc = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
    });
    try {
      const js = jetstream(nc);
      await js.publish(
        nodeHeartbeatSubject('tenant-a', node),
        JSON.stringify({ running: [{ deployment, version: 1 }] }),
      );
      await js.publish(
        nodeStatusSubject('tenant-a', node),
        JSON.stringify({ deployment, state: 'failed', version: 1, reason: 'image pull back-off' }),
      );
      await waitFor(
        'rollout reported over NATS',
        async () => {
          const view = await json<Deployment>(
            await api.request('GET', `/v1/deployments/${deployment}`),
          );
          return view.rollout?.[0]?.state === 'failed';
        },
        { timeoutMs: 10_000 },
      );
    } finally {
      await nc.close();
    }
    const view = await json<Deployment>(await api.request('GET', `/v1/deployments/${deployment}`));
    expect(view.rollout).toEqual([
      expect.objectContaining({ node, state: 'failed', version: 1, reason: 'image pull back-off' }),
    ]);
    const seen = await json<{ running: unknown[] }>(await api.request('GET', `/v1/nodes/${node}`));
    expect(seen.running).toEqual([{ deployment, version: 1 }]);

    // The node is asked on nodes.<tenant>.<node>.cmd when its deployment changes.
    const agent = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
    });
    try {
      const commands: Record<string, unknown>[] = [];
      agent.subscribe(nodeCommandSubject('tenant-a', node), {
        callback: (_error: Error | null, message: Msg) => {
          commands.push(message.json());
          message.respond(JSON.stringify({ accepted: true }));
        },
      });
      await agent.flush();
      await api.request('POST', `/v1/nodes/${node}/heartbeats`, { json: {} });
      await api.request('PUT', `/v1/models/${model}/aliases/production`, { json: { version: 2 } });
      await waitFor('the node commanded', async () => commands.length > 0, { timeoutMs: 5_000 });
      expect(commands[0]).toEqual({
        type: 'deployment.changed',
        deployment,
        model,
        version: 2,
        revision: 2,
      });
    } finally {
      await agent.close();
    }
    const offline = await tap.next(
      (e) => e.type === 'models.node.offline.v1' && e.data.node === node,
      15_000,
    );
    expect(offline.data).toMatchObject({ labels: { testbed: '7', run } });
    expect(await json(await api.request('GET', `/v1/nodes/${node}`))).toMatchObject({
      online: false,
    });
    expect((await api.as(who.otherTenant).request('GET', `/v1/nodes/${node}`)).status).toBe(404);
    expect(
      (await api.as(who.otherTenant).request('GET', `/v1/deployments/${deployment}`)).status,
    ).toBe(404);
  });
});
