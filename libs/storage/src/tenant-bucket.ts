import { createHash } from 'node:crypto';

/**
 * Each logical bucket of a tenant is one MinIO bucket named t<10 hex of sha256(tenant)>-<name>,
 * so no name a caller can send leads into another tenant's buckets: the prefix comes from the
 * token (or the connector's tenant), never from the request. Shared by the objectstore, which
 * makes the buckets, and ingest's file connectors, which read and write them.
 */
export function tenantBucketPrefix(tenant: string): string {
  return `t${createHash('sha256').update(tenant, 'utf8').digest('hex').slice(0, 10)}-`;
}

/** The MinIO bucket that holds a tenant's logical bucket; the name must be valid. */
export function physicalBucketName(tenant: string, name: string): string {
  return tenantBucketPrefix(tenant) + name;
}
