import { Inject, Injectable } from '@nestjs/common';
import { Client } from 'minio';
import type { ReadinessCheck } from '@iotwins/observability';

export interface S3Options {
  /** e.g. http://127.0.0.1:9000 */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** Set with temporary (STS) credentials. */
  sessionToken?: string;
  region?: string;
}

export const S3_OPTIONS = Symbol('S3_OPTIONS');

/** Builds a MinIO (S3 API) client from an endpoint URL. */
export function createS3Client(options: S3Options): Client {
  const url = new URL(options.endpoint);
  const useSSL = url.protocol === 'https:';
  return new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    sessionToken: options.sessionToken,
    region: options.region ?? 'us-east-1',
    pathStyle: true,
  });
}

/** The app's S3 client, injectable where object storage is used. */
@Injectable()
export class S3Storage {
  readonly client: Client;

  constructor(@Inject(S3_OPTIONS) options: S3Options) {
    this.client = createS3Client(options);
  }
}

/** Ready when the S3 server answers an authenticated request with these credentials. */
@Injectable()
export class S3Readiness implements ReadinessCheck {
  readonly name = 's3';

  constructor(private readonly storage: S3Storage) {}

  async probe(): Promise<void> {
    await this.storage.client.listBuckets();
  }
}
