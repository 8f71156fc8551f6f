import { Kvm } from '@nats-io/kv';
import {
  BUCKET_REGISTRY_KV,
  bucketRegistryRecordSchema,
  type NatsClient,
} from '@iotwins/messaging';
import { physicalBucketName } from '@iotwins/storage';

/** What a file connector does with a bucket: read files from it, or write files into it. */
export type BucketUse = 'read' | 'write';

export type BucketResolution = { physical: string } | { problem: string };

/**
 * ACLs under which the whole tenant may read or write a bucket (docs/objectstore.md). A
 * connector acts for its tenant, not for the person who declared it, so it may use a bucket
 * only where every member of the tenant could: never someone's private bucket.
 */
const ACLS_FOR: Record<BucketUse, readonly string[]> = {
  read: ['tenant-read', 'tenant-write', 'public-read'],
  write: ['tenant-write'],
};

/**
 * A tenant's logical bucket to the MinIO bucket behind it. The physical name is derived from
 * the connector's tenant (so no configuration can name another tenant's bucket), and the
 * objectstore's record in KV `objectstore_buckets` (read-only for ingest's login) must exist,
 * belong to that tenant, be live and have an ACL that lets the whole tenant use it that way.
 */
export async function resolveTenantBucket(
  nats: NatsClient,
  tenant: string,
  bucket: string,
  use: BucketUse,
): Promise<BucketResolution> {
  const physical = physicalBucketName(tenant, bucket);
  const kv = await new Kvm(nats.nc).open(BUCKET_REGISTRY_KV);
  const entry = await kv.get(physical);
  const parsed =
    entry && entry.operation === 'PUT'
      ? bucketRegistryRecordSchema.safeParse(entry.json<unknown>())
      : undefined;
  if (!parsed?.success || parsed.data.tenant !== tenant || parsed.data.deletedAt)
    return { problem: `you have no bucket "${bucket}"` };
  if (!ACLS_FOR[use].includes(parsed.data.acl)) {
    return {
      problem: `bucket "${bucket}" has ACL ${parsed.data.acl}; a connector ${use === 'read' ? 'reads' : 'writes'} only buckets with ACL ${ACLS_FOR[use].join(' or ')}`,
    };
  }
  return { physical };
}
