import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm } from '@nats-io/kv';

/**
 * The KV bucket of the objectstore's bucket records (owner, tenant, ACL). Only the objectstore
 * login may read or write it. Renaming it strands existing records: a migration.
 */
export const BUCKET_REGISTRY_KV = 'objectstore_buckets';
/** The JetStream stream behind the KV bucket, as permissions name it. */
export const BUCKET_REGISTRY_KV_STREAM = `KV_${BUCKET_REGISTRY_KV}`;

/** Operator step (provisionNats): creates the KV bucket if it is missing. */
export async function ensureBucketRegistryKv(nc: NatsConnection): Promise<void> {
  await new Kvm(nc).create(BUCKET_REGISTRY_KV, { history: 1 });
}
