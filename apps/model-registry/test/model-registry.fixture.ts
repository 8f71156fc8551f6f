import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { loadConfig } from '@iotwins/config';
import { modelsEventsOf, parseEvent, type EventEnvelope } from '@iotwins/messaging';
import { createS3Client } from '@iotwins/storage';
import {
  appEnv,
  requireEnv,
  startServiceApp,
  tokens,
  uniqueName,
  type RunningApp,
} from '@iotwins/testing';
import type { Client } from 'minio';
import { z } from 'zod';
import { modelRegistryEnvSchema } from '../src/app.config';
import { APP_NAME, ModelRegistryModule } from '../src/app.module';
import { registryRpcTransport } from '../src/rpc/rpc.transport';

/** The registry module on a free port, against the real FerretDB, MinIO, NATS and Keycloak. */
export function startRegistry(overrides: Record<string, string> = {}): Promise<RunningApp> {
  const config = loadConfig(modelRegistryEnvSchema, appEnv(APP_NAME, overrides));
  return startServiceApp(ModelRegistryModule.forRoot(config), APP_NAME, [
    registryRpcTransport(config),
  ]);
}

export interface Principals {
  /** alice, tenant-a: models:read, models:write, models:deploy. */
  writer: string;
  /** carol, tenant-a: models:read only. */
  reader: string;
  /** bob, tenant-b, the same roles as alice. */
  otherTenant: string;
  /** operator: platform:admin. */
  admin: string;
}

export async function principals(): Promise<Principals> {
  const [writer, reader, otherTenant, admin] = await Promise.all([
    tokens.alice(),
    tokens.carol(),
    tokens.bob(),
    tokens.operator(),
  ]);
  return { writer, reader, otherTenant, admin };
}

export const modelName = (prefix = 'm'): string => uniqueName(prefix);

export interface UploadFile {
  path: string;
  content: Buffer | string;
  type?: string;
}

export const DEFAULT_METADATA = {
  framework: { name: 'onnx', version: '1.17.0' },
  metrics: { accuracy: 0.93, f1: 0.91 },
  validationMetric: { name: 'accuracy', value: 0.93 },
  hyperparameters: { epochs: 20, lr: 0.001, optimizer: 'adam' },
  signature: {
    inputs: [{ name: 'vibration', dtype: 'float32', shape: [-1, 64] }],
    outputs: [{ name: 'anomaly', dtype: 'float32', shape: [-1, 1] }],
  },
  lineage: {
    trainingData: { kind: 'objects', bucket: 'training', keys: ['turbine-7/2021.csv'] },
    codeRevision: 'a1b2c3d',
    runId: 'run-42',
  },
};

/** A small HTTP client of the registry API for one caller. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
    private readonly tenant?: string,
  ) {}

  as(token: string | undefined, tenant?: string): Api {
    return new Api(this.baseUrl, token, tenant);
  }

  request(
    method: string,
    path: string,
    init: { body?: RequestInit['body']; headers?: Record<string, string>; json?: unknown } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    if (this.tenant) path += `${path.includes('?') ? '&' : '?'}tenant=${this.tenant}`;
    return fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body,
      redirect: 'manual',
      duplex: 'half',
    } as RequestInit);
  }

  createModel(name: string, extra: Record<string, unknown> = {}): Promise<Response> {
    return this.request('POST', '/v1/models', { json: { name, ...extra } });
  }

  /** Uploads a version as multipart/form-data: the metadata field, then the files. */
  uploadVersion(
    model: string,
    files: UploadFile[],
    metadata: unknown = DEFAULT_METADATA,
  ): Promise<Response> {
    const form = new FormData();
    // null leaves the metadata field out.
    if (metadata !== null)
      form.append('metadata', typeof metadata === 'string' ? metadata : JSON.stringify(metadata));
    for (const file of files)
      form.append(
        'file',
        new Blob([file.content], { type: file.type ?? 'application/octet-stream' }),
        file.path,
      );
    return this.request('POST', `/v1/models/${model}/versions`, { body: form });
  }
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** Collects the registry's events of a tenant, as any subscriber would see them. */
export class EventTap {
  readonly events: EventEnvelope<Record<string, unknown>>[] = [];
  private constructor(
    private readonly nc: NatsConnection,
    private readonly subscription: Subscription,
  ) {}

  static async open(tenant: string): Promise<EventTap> {
    const nc = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
    });
    const subscription = nc.subscribe(modelsEventsOf(tenant));
    const tap = new EventTap(nc, subscription);
    void (async () => {
      for await (const message of subscription) {
        const event = parseEvent(message.json(), z.record(z.string(), z.unknown()));
        tap.events.push({ ...event, subject: message.subject } as EventEnvelope<
          Record<string, unknown>
        >);
      }
    })();
    await nc.flush();
    return tap;
  }

  async next(
    predicate: (event: EventEnvelope<Record<string, unknown>>) => boolean,
    timeoutMs = 15_000,
  ): Promise<EventEnvelope<Record<string, unknown>> & { subject?: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(
          `no matching event within ${timeoutMs} ms; saw ${JSON.stringify(this.events.map((e) => [e.type, e.data]))}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    this.subscription.unsubscribe();
    await this.nc.close();
  }
}

/** The S3 bucket of artifacts, read directly to check what really is stored. */
export function artifactStore(): { client: Client; bucket: string } {
  return {
    client: createS3Client({
      endpoint: requireEnv('S3_ENDPOINT'),
      accessKey: requireEnv('S3_ACCESS_KEY'),
      secretKey: requireEnv('S3_SECRET_KEY'),
    }),
    bucket: process.env.MODEL_REGISTRY_BUCKET ?? 'iotwins-model-artifacts',
  };
}

export async function listKeys(prefix: string): Promise<string[]> {
  const { client, bucket } = artifactStore();
  const keys: string[] = [];
  for await (const item of client.listObjectsV2(bucket, prefix, true)) {
    const { name } = item as { name?: string };
    if (name) keys.push(name);
  }
  return keys;
}

export async function openSuite(
  overrides: Record<string, string> = {},
): Promise<{ app: RunningApp; who: Principals; tap: EventTap }> {
  const [app, who, tap] = await Promise.all([
    startRegistry(overrides),
    principals(),
    EventTap.open('tenant-a'),
  ]);
  return { app, who, tap };
}
