import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { ensureConnectorsKv } from './connectors.kv';
import { ensureEventsStream } from './events.stream';
import { ensureFieldTypesKv } from './field-types.bucket';
import { ensureInstanceSlotsKv } from './instance-slots.bucket';
import { ensureNodesStream } from './nodes.stream';
import { ensureBucketRegistryKv } from './objectstore-registry.kv';
import { ensureObservationsStream } from './observations.stream';
import { ensureS3NotificationsStream } from './s3-notifications.stream';
import {
  ensureDeadLetterStream,
  ensureTelemetryStream,
  type TelemetryStreamOptions,
} from './telemetry.stream';
import {
  ensureTenantStream,
  removePlatformTenantStream,
  tenantAccountName,
  type TenantStreamOptions,
} from './tenant.stream';

export interface ProvisionOptions {
  telemetry: TelemetryStreamOptions;
  /**
   * Tenants with a NATS account (scripts/nats-tenant-accounts.sh): each gets its
   * TENANT_<tenant> stream for durable subscriptions, in that account.
   */
  tenants: readonly string[];
  tenantStream: TenantStreamOptions;
}

/**
 * The operator's provisioning step: every stream, durable consumer and KV bucket of the
 * platform, created or brought up to date. Only the operator login may run it; service
 * logins may not create streams and only check that theirs exist. Idempotent: run it after
 * every NATS start or upgrade.
 */
export async function provisionNats(
  nc: NatsConnection,
  options: ProvisionOptions,
): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  await ensureTelemetryStream(jsm, options.telemetry);
  await ensureDeadLetterStream(jsm);
  // EVENTS is as critical as TELEMETRY: on a cluster it gets the same replicas.
  await ensureEventsStream(jsm, options.telemetry.replicas);
  await ensureS3NotificationsStream(jsm);
  await ensureObservationsStream(jsm);
  await ensureNodesStream(jsm);
  await ensureBucketRegistryKv(nc);
  await ensureConnectorsKv(nc);
  await ensureFieldTypesKv(nc, options.telemetry.replicas);
  await ensureInstanceSlotsKv(nc, options.telemetry.replicas);
  // Tenant streams live in the tenant accounts (decision 0012); PLATFORM's old ones go.
  // The new one first: on a server without the tenant accounts this fails, old data kept.
  for (const tenant of options.tenants) {
    await ensureTenantStream(nc, tenant, options.tenantStream);
    await removePlatformTenantStream(jsm, tenant);
  }
  const streams = await jsm.streams.names().next();
  for (const tenant of options.tenants)
    streams.push(`TENANT_${tenant} (account ${tenantAccountName(tenant)})`);
  return streams.sort();
}
