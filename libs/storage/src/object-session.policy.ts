/** What a presigned URL may do: upload or download one object. */
export type PresignMethod = 'GET' | 'PUT';

/**
 * The inline session policy of the temporary credentials that sign one presigned URL: the one
 * S3 action of the URL on the one object, and nothing else. MinIO evaluates it together with
 * the signature, so whatever header the URL holder adds is checked against it:
 * - `x-amz-copy-source` needs s3:GetObject on the source, which is never granted: 403;
 * - `x-amz-tagging` (the object's ACL lives in a tag) is refused by the condition that the
 *   request carries no tag keys at all: 403;
 * - any other bucket or key is outside the one resource: 403.
 * A `*` or `?` in a key is a wildcard in an ARN, but the URL's path is fixed by its signature,
 * so the holder can still reach only the key the URL names.
 */
export function objectSessionPolicy(method: PresignMethod, bucket: string, key: string): string {
  const resource = `arn:aws:s3:::${bucket}/${key}`;
  const statement =
    method === 'PUT'
      ? {
          Effect: 'Allow',
          Action: ['s3:PutObject'],
          Resource: [resource],
          Condition: { Null: { 's3:RequestObjectTagKeys': 'true' } },
        }
      : { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [resource] };
  return JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
}
