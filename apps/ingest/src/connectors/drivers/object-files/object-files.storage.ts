import { createScopedS3, type PrefixAccess, type ScopedS3 } from '@iotwins/storage';
import type { IngestConfig } from '../../../app.config';
import type { CheckTarget, ConfigProblem } from '../../connector.driver';
import { resolveTenantBucket, type BucketUse } from './tenant-bucket.resolver';

/** Why this ingest cannot run file connectors at all, or undefined when it can. */
export function fileStorageMissing(settings: IngestConfig): string | undefined {
  if (
    !settings.S3_ENDPOINT ||
    !settings.CONNECTORS_S3_ACCESS_KEY ||
    !settings.CONNECTORS_S3_SECRET_KEY
  )
    return 'file connectors are not enabled on this platform (S3_ENDPOINT, CONNECTORS_S3_ACCESS_KEY and CONNECTORS_S3_SECRET_KEY are unset)';
  return undefined;
}

/** The create-time check of a bucket a file connector names: the tenant's, usable that way. */
export async function checkTenantBucket(
  target: CheckTarget,
  bucket: string,
  use: BucketUse,
  pointer: string,
): Promise<ConfigProblem[]> {
  const missing = fileStorageMissing(target.settings);
  if (missing) return [{ pointer: '/type', detail: missing }];
  const resolved = await resolveTenantBucket(target.nats, target.tenant, bucket, use);
  return 'problem' in resolved ? [{ pointer, detail: resolved.problem }] : [];
}

/**
 * S3 access for one run: clients that sign with STS credentials that reach only `prefix` of the
 * tenant's one physical bucket, so a fault in a driver cannot touch another tenant's files.
 */
export function scopedBucketClient(
  settings: IngestConfig,
  physical: string,
  prefix: string,
  access: PrefixAccess,
): ScopedS3 {
  const missing = fileStorageMissing(settings);
  if (missing) throw new Error(missing);
  return createScopedS3(
    {
      endpoint: settings.S3_ENDPOINT!,
      accessKey: settings.CONNECTORS_S3_ACCESS_KEY!,
      secretKey: settings.CONNECTORS_S3_SECRET_KEY!,
    },
    physical,
    prefix,
    access,
  );
}

/** Resolves the bucket at run time (it may have been deleted or re-ACLed since the create). */
export async function openTenantBucket(
  ctx: { tenant: string; nats: CheckTarget['nats']; settings: IngestConfig },
  bucket: string,
  prefix: string,
  access: PrefixAccess,
): Promise<{ s3: ScopedS3; physical: string }> {
  const use: BucketUse = access === 'read' ? 'read' : 'write';
  const resolved = await resolveTenantBucket(ctx.nats, ctx.tenant, bucket, use);
  if ('problem' in resolved) throw new Error(resolved.problem);
  return {
    physical: resolved.physical,
    s3: scopedBucketClient(ctx.settings, resolved.physical, prefix, access),
  };
}
