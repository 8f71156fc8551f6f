import { z } from 'zod';
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

/**
 * What other services read of a bucket record (keyed by the physical MinIO bucket name): its
 * tenant, logical name, ACL and whether it was deleted. The objectstore owns and writes the
 * full record; ingest's file connectors only read it (their login may not write).
 */
export const bucketRegistryRecordSchema = z.object({
  tenant: z.string(),
  name: z.string(),
  acl: z.string(),
  deletedAt: z.string().optional(),
});
export type BucketRegistryRecord = z.infer<typeof bucketRegistryRecordSchema>;
