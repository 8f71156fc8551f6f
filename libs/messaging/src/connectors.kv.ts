import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm } from '@nats-io/kv';

/**
 * The KV bucket of ingest's connectors: per connector its configuration
 * (`config.<tenant>.<id>`), status (`status.<tenant>.<id>`), read position
 * (`cursor.<tenant>.<id>`) and runner lease (`lease.<tenant>.<id>`). Only the ingest login
 * may read or write it. Renaming the bucket or a key family strands existing connectors: a
 * migration.
 */
export const CONNECTORS_KV = 'ingest_connectors';
/** The JetStream stream behind the KV bucket, as permissions name it. */
export const CONNECTORS_KV_STREAM = `KV_${CONNECTORS_KV}`;

export const ConnectorKey = {
  config: (tenant: string, id: string): string => `config.${tenant}.${id}`,
  status: (tenant: string, id: string): string => `status.${tenant}.${id}`,
  cursor: (tenant: string, id: string): string => `cursor.${tenant}.${id}`,
  lease: (tenant: string, id: string): string => `lease.${tenant}.${id}`,
  /** Watch filter of every connector's configuration. */
  allConfigs: 'config.>',
  configsOf: (tenant: string): string => `config.${tenant}.*`,
} as const;

/** Operator step (provisionNats): creates the KV bucket if it is missing. */
export async function ensureConnectorsKv(nc: NatsConnection): Promise<void> {
  // history 1: only the current value of each key matters; status updates are frequent.
  await new Kvm(nc).create(CONNECTORS_KV, { history: 1 });
}
