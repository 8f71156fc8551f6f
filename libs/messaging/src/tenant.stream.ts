import { nanos } from '@nats-io/nats-core';
import {
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { EVENTS_STREAM } from './events.stream';
import { upsertStream } from './stream.upsert';
import { assertSubjectToken } from './subject-token';
import { TELEMETRY_STREAM } from './telemetry.subjects';

/**
 * One stream per tenant, TENANT_<tenant>, sourcing that tenant's telemetry and events from
 * TELEMETRY and EVENTS. Tenants make their durable (replayable) consumers here and nowhere
 * else: NATS permissions cannot bind part of a consumer name, so consumers of all tenants on
 * one shared stream would share one name space, and a tenant-b client that guessed the name
 * of tenant-a's consumer could pull from it. A stream per tenant makes the stream name, which
 * permissions do bind, the tenant boundary. Renaming needs a migration.
 */
export function tenantStreamName(tenant: string): string {
  return `TENANT_${assertSubjectToken('tenant', tenant)}`;
}

export interface TenantStreamOptions {
  /** How long a tenant's durable subscribers may stay away and still catch up. */
  maxAgeMs: number;
  maxBytes: number;
}

/** Operator step (provisionNats): creates or updates the stream of one tenant. */
export async function ensureTenantStream(
  jsm: JetStreamManager,
  tenant: string,
  options: TenantStreamOptions,
): Promise<void> {
  const config: Partial<StreamConfig> = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(options.maxAgeMs),
    max_bytes: options.maxBytes,
    sources: [
      { name: TELEMETRY_STREAM, filter_subject: `telemetry.${tenant}.>` },
      { name: EVENTS_STREAM, filter_subject: `events.${tenant}.>` },
    ],
  };
  await upsertStream(jsm, tenantStreamName(tenant), config, true);
}
