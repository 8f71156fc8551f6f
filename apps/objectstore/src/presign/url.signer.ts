import { Inject, Injectable } from '@nestjs/common';
import type { Client } from 'minio';
import { APP_CONFIG } from '@iotwins/config';
import { createS3Client } from '@iotwins/storage';
import type { ObjectstoreConfig } from '../app.config';

/**
 * Signs URLs for the endpoint gateways reach (S3_PUBLIC_ENDPOINT), which may differ from the
 * one the app uses: the host is part of the signature. Signing is local, no request is made.
 */
@Injectable()
export class UrlSigner {
  private readonly client: Client;

  constructor(@Inject(APP_CONFIG) config: ObjectstoreConfig) {
    this.client = createS3Client({
      endpoint: config.S3_PUBLIC_ENDPOINT ?? config.S3_ENDPOINT,
      accessKey: config.S3_ACCESS_KEY,
      secretKey: config.S3_SECRET_KEY,
    });
  }

  sign(
    method: 'GET' | 'PUT',
    bucket: string,
    key: string,
    expiresInS: number,
    at: Date,
  ): Promise<string> {
    return this.client.presignedUrl(method, bucket, key, expiresInS, {}, at);
  }
}
