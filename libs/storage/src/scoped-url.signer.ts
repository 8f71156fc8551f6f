import { Client } from 'minio';
// The minio client ships its STS AssumeRole provider as a sub-path of its package.
import { AssumeRoleProvider } from 'minio/dist/main/AssumeRoleProvider.js';
import { objectSessionPolicy, type PresignMethod } from './object-session.policy';
import { createS3Client, type S3Options } from './s3.client';

/** MinIO refuses AssumeRole durations under 15 minutes. */
const MIN_STS_DURATION_S = 900;

export interface ScopedUrlSignerOptions {
  /** Where STS is asked (the app's own S3 endpoint) and with which service credentials. */
  sts: S3Options;
  /** The endpoint the URLs name; clients must reach it, and its host is signed. */
  publicEndpoint: string;
}

/** An STS or S3 outage while a URL was being signed: the caller should answer 503. */
export class ScopedCredentialsUnavailableError extends Error {}

/**
 * Signs presigned URLs with temporary credentials that can do nothing but the URL's one
 * operation on its one object (MinIO STS AssumeRole with an inline session policy), never with
 * the service's own key: a URL holder who adds headers (a copy source, tags) reaches nothing
 * the URL was not handed out for. One AssumeRole per URL; MinIO answers it in a few
 * milliseconds and drops the credentials when they expire.
 */
export class ScopedUrlSigner {
  constructor(private readonly options: ScopedUrlSignerOptions) {}

  async sign(
    method: PresignMethod,
    bucket: string,
    key: string,
    expiresInS: number,
    at: Date,
    /** S3 response-* overrides of a GET (e.g. inertPresignParams), signed into the URL. */
    responseParams: Record<string, string> = {},
  ): Promise<string> {
    const provider = new AssumeRoleProvider({
      stsEndpoint: this.options.sts.endpoint,
      accessKey: this.options.sts.accessKey,
      secretKey: this.options.sts.secretKey,
      region: this.options.sts.region ?? 'us-east-1',
      // The credentials must outlive the URL, or S3 refuses it before its own expiry.
      durationSeconds: Math.max(MIN_STS_DURATION_S, expiresInS + 60),
      policy: objectSessionPolicy(method, bucket, key),
    });
    let credentials;
    try {
      credentials = await provider.getCredentials();
    } catch (error) {
      throw new ScopedCredentialsUnavailableError(
        'S3 did not issue temporary credentials for a presigned URL',
        { cause: error },
      );
    }
    const client: Client = createS3Client({
      endpoint: this.options.publicEndpoint,
      accessKey: credentials.accessKey,
      secretKey: credentials.secretKey,
      sessionToken: credentials.sessionToken,
      region: this.options.sts.region,
    });
    return client.presignedUrl(
      method,
      bucket,
      key,
      expiresInS,
      method === 'GET' ? responseParams : {},
      at,
    );
  }
}
