import { Client } from 'pg';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { loadConfig } from '@iotwins/config';
import {
  OBSERVATIONS_STREAM,
  observationSubject,
  parseEvent,
  retrainerEventsOf,
  type EventEnvelope,
  type ObservationKind,
} from '@iotwins/messaging';
import {
  appEnv,
  requireEnv,
  startAppProcess,
  startServiceApp,
  uniqueName,
  waitFor,
  type AppProcess,
  type RunningApp,
} from '@iotwins/testing';
import { z } from 'zod';
import { retrainerEnvSchema } from '../src/app.config';
import { APP_NAME, RetrainerModule } from '../src/app.module';
import { RegistryResponder } from './registry.responder';

/** A PostgreSQL database of its own for one spec file, dropped at the end. */
export class TestDatabase {
  readonly name = uniqueName('retrainer_test').replace(/-/g, '_');

  get url(): string {
    const url = new URL(requireEnv('POSTGRES_URL'));
    url.pathname = `/${this.name}`;
    return url.toString();
  }

  async create(): Promise<void> {
    await this.admin(`CREATE DATABASE ${this.name}`);
  }

  async drop(): Promise<void> {
    await this.admin(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
  }

  async query<T extends object>(sql: string, values: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  private async admin(sql: string): Promise<void> {
    const client = new Client({ connectionString: requireEnv('POSTGRES_URL') });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}

/** Settings that make a spec's retrainer fast to observe and isolated from everyone else's. */
export function retrainerOverrides(
  database: TestDatabase,
  registry: RegistryResponder | undefined,
  consumer: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    POSTGRES_URL: database.url,
    // Without a responder the retrainer asks the real registry on its default subjects.
    ...(registry ? { MODEL_REGISTRY_SUBJECT_PREFIX: registry.prefix } : {}),
    MODEL_REGISTRY_TIMEOUT_MS: '3000',
    OBSERVATIONS_CONSUMER: consumer,
    ALIAS_REFRESH_MS: '300',
    PAIRING_SWEEP_MS: '200',
    OBSERVATIONS_FLUSH_MS: '20',
    ACTION_RETRY_BASE_MS: '200',
    ...extra,
  };
}

/** The retrainer module in this process, on a free port. */
export function startRetrainer(overrides: Record<string, string>): Promise<RunningApp> {
  return startServiceApp(
    RetrainerModule.forRoot(loadConfig(retrainerEnvSchema, appEnv(APP_NAME, overrides))),
    APP_NAME,
  );
}

/** The built retrainer as its own process (apps/retrainer/dist), for crash tests. */
export function startRetrainerProcess(overrides: Record<string, string>): Promise<AppProcess> {
  return startAppProcess(APP_NAME, overrides);
}

/** Removes a spec's durable consumer from the shared OBSERVATIONS stream. */
export async function deleteConsumer(nc: NatsConnection, consumer: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.delete(OBSERVATIONS_STREAM, consumer).catch(() => undefined);
}

/** A NATS connection of the test tooling (the `dev` login). */
export function natsConnection(): Promise<NatsConnection> {
  return connect({
    servers: requireEnv('NATS_URL'),
    user: 'dev',
    pass: requireEnv('NATS_DEV_PASSWORD'),
  });
}

/**
 * What every retrainer spec runs on, made and removed in one place: a PostgreSQL database of
 * its own, a registry responder on subjects of its own (unless the spec talks to the real
 * registry), a NATS connection of the test tooling, a durable consumer of its own, and the
 * apps and event logs started through it. `close()` undoes all of it, latest first.
 */
export class RetrainerTestbed {
  readonly database = new TestDatabase();
  readonly consumer: string;
  private responder: RegistryResponder | undefined;
  private connection: NatsConnection | undefined;
  private readonly closers: (() => Promise<void> | void)[] = [];

  constructor(
    name: string,
    private readonly options: { realRegistry?: boolean } = {},
  ) {
    this.consumer = uniqueName(name);
  }

  get registry(): RegistryResponder {
    if (!this.responder)
      throw new Error('no registry responder: start() first, or the spec uses the real registry');
    return this.responder;
  }

  get nc(): NatsConnection {
    if (!this.connection) throw new Error('not connected to NATS: start() first');
    return this.connection;
  }

  async start(): Promise<this> {
    await this.database.create();
    if (!this.options.realRegistry) this.responder = await RegistryResponder.start();
    this.connection = await natsConnection();
    return this;
  }

  /** Settings that make the spec's retrainer fast to observe and isolated from everyone else's. */
  overrides(extra: Record<string, string> = {}): Record<string, string> {
    return retrainerOverrides(this.database, this.responder, this.consumer, extra);
  }

  /** The retrainer module in this process; closed by close(). */
  async startApp(extra: Record<string, string> = {}): Promise<RunningApp> {
    const app = await startRetrainer(this.overrides(extra));
    this.closers.push(() => app.close());
    return app;
  }

  /** The built retrainer as its own process; stopped by close() unless already gone. */
  async startProcess(extra: Record<string, string> = {}): Promise<AppProcess> {
    const app = await startRetrainerProcess(this.overrides(extra));
    this.closers.push(() => app.stop());
    return app;
  }

  /** Every retrainer event of a tenant from now on; unsubscribed by close(). */
  eventLog(tenant: string): EventLog {
    const log = new EventLog(this.nc, tenant);
    this.closers.push(() => log.close());
    return log;
  }

  async close(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) await close();
    if (this.connection) {
      await deleteConsumer(this.connection, this.consumer);
      await this.connection.drain();
    }
    await this.responder?.close();
    await this.database.drop();
  }
}

export interface ObservationInput {
  id?: string;
  series?: string;
  timestamp?: string | number;
  value: number | string | boolean;
  version?: number;
  features?: Record<string, number>;
}

/** Publishes observations as an edge node does: one JetStream message per call. */
export async function publishObservations(
  nc: NatsConnection,
  tenant: string,
  model: string,
  kind: ObservationKind,
  observations: ObservationInput[] | ObservationInput,
): Promise<void> {
  await jetstream(nc).publish(
    observationSubject(kind, tenant, model),
    JSON.stringify(observations),
  );
}

/** Every retrainer event of a tenant seen on NATS while the spec runs. */
export class EventLog {
  readonly events: EventEnvelope<Record<string, unknown>>[] = [];
  private readonly subscription: Subscription;

  constructor(nc: NatsConnection, tenant: string) {
    this.subscription = nc.subscribe(retrainerEventsOf(tenant), {
      callback: (error, message) => {
        if (error) return;
        this.events.push(parseEvent(message.json(), z.record(z.string(), z.unknown())));
      },
    });
  }

  of(type: string, monitorId: string): EventEnvelope<Record<string, unknown>>[] {
    return this.events.filter((event) => event.type === type && event.data.monitorId === monitorId);
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}

/** A JSON response body; specs assert its fields one by one, so it stays untyped here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type JsonBody = any;

/** A small HTTP client of the retrainer API for one caller. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async request(
    method: string,
    path: string,
    json?: unknown,
  ): Promise<{ status: number; body: JsonBody }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: json === undefined ? undefined : typeof json === 'string' ? json : JSON.stringify(json),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async monitor(id: string): Promise<JsonBody> {
    return (await this.request('GET', `/v1/monitors/${id}`)).body;
  }

  async transitions(
    id: string,
  ): Promise<{ from: string; to: string; reason: string; version: number | null }[]> {
    return (await this.request('GET', `/v1/monitors/${id}/transitions?limit=1000`)).body
      .transitions;
  }

  async evaluations(id: string): Promise<JsonBody[]> {
    return (await this.request('GET', `/v1/monitors/${id}/evaluations?limit=1000`)).body
      .evaluations;
  }

  /** Waits until the monitor has evaluated `windows` windows. */
  async waitForWindows(id: string, windows: number, timeoutMs = 20_000): Promise<void> {
    await waitFor(
      `monitor ${id} to evaluate ${windows} windows`,
      async () => (await this.monitor(id)).windowsEvaluated >= windows,
      { timeoutMs, intervalMs: 100 },
    );
  }
}

export const TENANT = 'tenant-a';

/** A regression monitor of the kind the specs use, overridable field by field. */
export function regressionMonitor(
  model: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    model,
    alias: 'production',
    task: 'regression',
    metric: 'mae',
    tolerance: { kind: 'absolute', max: 1 },
    window: { kind: 'count', size: 20 },
    minObservations: 20,
    consecutiveBadWindows: 2,
    cooldownSeconds: 3600,
    actions: { retrain: true, deactivate: { fallbackVersion: null } },
    ...overrides,
  };
}

/** Predictions and actuals of one window whose absolute error is exactly `error`. */
export function windowOf(
  prefix: string,
  size: number,
  error: number,
  version?: number,
): { predictions: ObservationInput[]; actuals: ObservationInput[] } {
  const predictions: ObservationInput[] = [];
  const actuals: ObservationInput[] = [];
  for (let i = 0; i < size; i++) {
    const actual = 230 + Math.sin(i) * 3;
    const sign = i % 2 === 0 ? 1 : -1;
    predictions.push({
      id: `${prefix}-${i}`,
      value: actual + sign * error,
      ...(version ? { version } : {}),
    });
    actuals.push({ id: `${prefix}-${i}`, value: actual });
  }
  return { predictions, actuals };
}
