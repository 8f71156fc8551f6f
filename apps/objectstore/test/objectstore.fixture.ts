import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { loadConfig } from '@iotwins/config';
import { parseEvent, type EventEnvelope } from '@iotwins/messaging';
import {
  appEnv,
  requireEnv,
  startServiceApp,
  tokens,
  uniqueName,
  type RunningApp,
} from '@iotwins/testing';
import { z } from 'zod';
import { objectstoreEnvSchema } from '../src/app.config';
import { APP_NAME, ObjectstoreModule } from '../src/app.module';

/** The objectstore module on a free port, against the real MinIO, NATS and Keycloak. */
export function startObjectstore(overrides: Record<string, string> = {}): Promise<RunningApp> {
  return startServiceApp(
    ObjectstoreModule.forRoot(loadConfig(objectstoreEnvSchema, appEnv(APP_NAME, overrides))),
    APP_NAME,
  );
}

/** Real tokens of the ACL matrix's principals; `anonymous` sends none. */
export interface Principals {
  /** alice, tenant-a: creates the buckets of the specs, so she owns them. */
  owner: string;
  /** gateway-tenant-a: same tenant, read and write roles, not the owner. */
  writer: string;
  /** carol, tenant-a: read roles only. */
  reader: string;
  /** bob, tenant-b. */
  otherTenant: string;
  /** operator: platform:admin. */
  admin: string;
}

export async function principals(): Promise<Principals> {
  const [owner, writer, reader, otherTenant, admin] = await Promise.all([
    tokens.alice(),
    tokens.gatewayA(),
    tokens.carol(),
    tokens.bob(),
    tokens.operator(),
  ]);
  return { owner, writer, reader, otherTenant, admin };
}

/** A bucket name of S3's rules that no other test uses. */
export const bucketName = (prefix = 'b'): string => uniqueName(prefix).toLowerCase();

/** A small HTTP client of the objectstore API for one caller. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
    /** Sent as ?tenant=, the way platform admins act on a tenant. */
    private readonly tenant?: string,
  ) {}

  as(token: string | undefined, tenant?: string): Api {
    return new Api(this.baseUrl, token, tenant);
  }

  request(
    method: string,
    path: string,
    init: {
      body?: RequestInit['body'];
      headers?: Record<string, string>;
      json?: unknown;
      redirect?: 'follow' | 'manual';
    } = {},
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
      redirect: init.redirect,
      duplex: 'half',
    } as RequestInit);
  }

  async createBucket(name: string, acl?: string): Promise<Response> {
    return this.request('POST', '/v1/buckets', { json: acl ? { name, acl } : { name } });
  }

  putObject(
    bucket: string,
    key: string,
    body: RequestInit['body'],
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return this.request('PUT', `/v1/buckets/${bucket}/objects/${encodeKey(key)}`, {
      body,
      headers,
    });
  }

  getObject(bucket: string, key: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request('GET', `/v1/buckets/${bucket}/objects/${encodeKey(key)}`, { headers });
  }
}

/** Keys travel URL-encoded per segment, with their slashes as path separators. */
export function encodeKey(key: string): string {
  // Dot segments are encoded too, or fetch would resolve them away before sending.
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(/^\.{1,2}$/, (dots) => '%2E'.repeat(dots.length)),
    )
    .join('/');
}

/** Collects the platform events of a tenant's objectstore, as any subscriber would see them. */
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
      // Resilience specs stop NATS on purpose; the tap comes back with it.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    const subscription = nc.subscribe(`events.${tenant}.objectstore.>`);
    const tap = new EventTap(nc, subscription);
    void (async () => {
      for await (const message of subscription) {
        tap.events.push(parseEvent(message.json(), z.record(z.string(), z.unknown())));
      }
    })();
    await nc.flush();
    return tap;
  }

  async next(
    predicate: (event: EventEnvelope<Record<string, unknown>>) => boolean,
    timeoutMs = 15_000,
  ): Promise<EventEnvelope<Record<string, unknown>>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no matching event within ${timeoutMs} ms; saw ${JSON.stringify(this.events.map((e) => [e.type, e.data]))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    this.subscription.unsubscribe();
    await this.nc.close();
  }
}

/** What most specs start with: the app, the principals' tokens and tenant-a's events. */
export async function openSuite(
  overrides: Record<string, string> = {},
): Promise<{ app: RunningApp; who: Principals; tap: EventTap }> {
  const [app, who, tap] = await Promise.all([
    startObjectstore(overrides),
    principals(),
    EventTap.open('tenant-a'),
  ]);
  return { app, who, tap };
}
