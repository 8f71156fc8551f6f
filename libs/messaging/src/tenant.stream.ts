import { nanos, type NatsConnection } from '@nats-io/nats-core';
import {
  RetentionPolicy,
  StorageType,
  jetstreamManager,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { upsertStream } from './stream.upsert';
import { assertSubjectToken } from './subject-token';

/**
 * One stream per tenant, TENANT_<tenant>, in the tenant's own NATS account TENANT_<tenant>
 * (decision 0012). It captures the tenant's telemetry and events as they arrive through the
 * account's imports from PLATFORM. Tenants make their durable (replayable) consumers here
 * and nowhere else: NATS permissions cannot bind part of a consumer name, so consumers of all
 * tenants on one shared stream would share one name space. In its own account a tenant's
 * consumers, push deliveries included, can only reach that account's subjects.
 * Renaming needs a migration.
 */
export function tenantStreamName(tenant: string): string {
  return `TENANT_${assertSubjectToken('tenant', tenant)}`;
}

/** The tenant's NATS account (scripts/nats-tenant-accounts.sh), where the callout places it. */
export function tenantAccountName(tenant: string): string {
  return `TENANT_${assertSubjectToken('tenant', tenant)}`;
}

/** Where PLATFORM (the operator login) reaches the JetStream API of a tenant's account. */
export function tenantJetStreamApiPrefix(tenant: string): string {
  return `$JS.${tenantAccountName(tenant)}.API`;
}

export interface TenantStreamOptions {
  /** How long a tenant's durable subscribers may stay away and still catch up. */
  maxAgeMs: number;
  maxBytes: number;
}

/** The tenant stream's configuration: what its account imports from PLATFORM, captured. */
export function tenantStreamConfig(
  tenant: string,
  options: TenantStreamOptions,
): Partial<StreamConfig> {
  return {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    subjects: [`telemetry.${tenant}.>`, `events.${tenant}.>`],
    max_age: nanos(options.maxAgeMs),
    max_bytes: options.maxBytes,
  };
}

/**
 * Operator step (provisionNats): creates or updates the stream of one tenant in its account,
 * through PLATFORM's import of that account's JetStream API.
 */
export async function ensureTenantStream(
  nc: NatsConnection,
  tenant: string,
  options: TenantStreamOptions,
): Promise<void> {
  const jsm = await jetstreamManager(nc, {
    apiPrefix: tenantJetStreamApiPrefix(tenant),
    checkAPI: false,
  });
  try {
    await upsertStream(jsm, tenantStreamName(tenant), tenantStreamConfig(tenant, options), true);
  } catch (error) {
    if (!/no responders|timeout|not enabled/i.test((error as Error).message ?? '')) throw error;
    throw new Error(
      `NATS has no account ${tenantAccountName(tenant)} (or it has no JetStream): generate the ` +
        `tenant accounts with scripts/nats-tenant-accounts.sh for NATS_TENANTS and reload nats-server`,
      { cause: error },
    );
  }
}

/**
 * Before decision 0012 the tenant streams lived in PLATFORM, sourcing TELEMETRY and EVENTS.
 * Such a stream is now unreachable by its tenant and is removed (its messages are copies).
 */
export async function removePlatformTenantStream(
  jsm: JetStreamManager,
  tenant: string,
): Promise<boolean> {
  try {
    return await jsm.streams.delete(tenantStreamName(tenant));
  } catch (error) {
    if (/not found/i.test((error as Error).message ?? '')) return false;
    throw error;
  }
}
