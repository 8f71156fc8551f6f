/**
 * Each logical bucket of a tenant is one MinIO bucket named t<10 hex of sha256(tenant)>-<name>,
 * so no name a caller can send leads into another tenant's buckets: the prefix comes from the
 * token, never from the request. S3 caps bucket names at 63 characters; the prefix takes 12.
 */
const TENANT_PREFIX_LENGTH = 12;
export const MAX_BUCKET_NAME_LENGTH = 63 - TENANT_PREFIX_LENGTH;

const FORBIDDEN_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const FORBIDDEN_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** Why a bucket name breaks the S3 naming rules, or undefined when it keeps them. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > MAX_BUCKET_NAME_LENGTH)
    return `must be 3 to ${MAX_BUCKET_NAME_LENGTH} characters long`;
  if (!/^[a-z0-9.-]+$/.test(name))
    return 'may hold only lowercase letters a-z, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name))
    return 'must begin and end with a letter or digit';
  if (name.includes('..')) return 'must not hold two adjacent dots';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'must not look like an IP address';
  const prefix = FORBIDDEN_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `must not begin with "${prefix}"`;
  const suffix = FORBIDDEN_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `must not end with "${suffix}"`;
  return undefined;
}

// The tenant prefix is shared with ingest's file connectors, so it lives in libs/storage.
export { physicalBucketName, tenantBucketPrefix } from '@iotwins/storage';
