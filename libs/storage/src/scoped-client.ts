import type { Client } from 'minio';
// The minio client ships its STS AssumeRole provider as a sub-path of its package.
import { AssumeRoleProvider } from 'minio/dist/main/AssumeRoleProvider.js';
import { createS3Client, type S3Options } from './s3.client';

/** What a scoped client may do under its one bucket prefix. */
export type PrefixAccess = 'read' | 'write' | 'read-write';

/** MinIO refuses AssumeRole durations under 15 minutes; the provider renews before expiry. */
const STS_DURATION_S = 3600;

/**
 * The inline session policy of credentials that may only read and/or write objects under one
 * prefix of one bucket: no listing, no deleting, no tags, no other bucket. MinIO intersects it
 * with the policy of the identity that asked, so it can only narrow what that identity may do.
 */
export function prefixSessionPolicy(bucket: string, prefix: string, access: PrefixAccess): string {
  const actions: string[] = [];
  if (access !== 'write') actions.push('s3:GetObject');
  if (access !== 'read')
    actions.push('s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts');
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: actions, Resource: [`arn:aws:s3:::${bucket}/${prefix}*`] },
    ],
  });
}

/** S3 clients of one bucket prefix, each signing with current temporary credentials. */
export interface ScopedS3 {
  /** A client with credentials valid for a while yet (renewed when about to expire). */
  client(): Promise<Client>;
}

/**
 * S3 access narrowed by `prefixSessionPolicy` to one bucket prefix: every client it hands out
 * signs with temporary credentials from MinIO's STS AssumeRole, renewed before they expire.
 * The identity in `sts` asks for them and signs nothing else. (The minio client's own
 * `credentialsProvider` option leaves a client built without keys anonymous, hence this.)
 */
export function createScopedS3(
  sts: S3Options,
  bucket: string,
  prefix: string,
  access: PrefixAccess,
): ScopedS3 {
  const region = sts.region ?? 'us-east-1';
  const provider = new AssumeRoleProvider({
    stsEndpoint: sts.endpoint,
    accessKey: sts.accessKey,
    secretKey: sts.secretKey,
    region,
    durationSeconds: STS_DURATION_S,
    policy: prefixSessionPolicy(bucket, prefix, access),
  });
  let current: { sessionToken: string | undefined; client: Client } | undefined;
  return {
    async client() {
      const credentials = await provider.getCredentials();
      if (!current || current.sessionToken !== credentials.sessionToken) {
        current = {
          sessionToken: credentials.sessionToken,
          client: createS3Client({
            endpoint: sts.endpoint,
            accessKey: credentials.accessKey,
            secretKey: credentials.secretKey,
            sessionToken: credentials.sessionToken,
            region,
          }),
        };
      }
      return current.client;
    },
  };
}
