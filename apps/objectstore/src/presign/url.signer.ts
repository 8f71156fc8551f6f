import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import {
  ScopedCredentialsUnavailableError,
  ScopedUrlSigner,
  type PresignMethod,
} from '@iotwins/storage';
import type { ObjectstoreConfig } from '../app.config';

/** Seconds a client waits before asking again when S3 could not issue credentials. */
const RETRY_AFTER_S = 5;

/**
 * Signs URLs for the endpoint gateways reach (S3_PUBLIC_ENDPOINT), which may differ from the
 * one the app uses: the host is part of the signature. Each URL is signed with temporary
 * credentials scoped to its one operation on its one object (see ScopedUrlSigner), so the
 * service's S3 key never signs anything a client holds.
 */
@Injectable()
export class UrlSigner {
  private readonly signer: ScopedUrlSigner;

  constructor(@Inject(APP_CONFIG) config: ObjectstoreConfig) {
    this.signer = new ScopedUrlSigner({
      sts: {
        endpoint: config.S3_ENDPOINT,
        accessKey: config.S3_ACCESS_KEY,
        secretKey: config.S3_SECRET_KEY,
      },
      publicEndpoint: config.S3_PUBLIC_ENDPOINT ?? config.S3_ENDPOINT,
    });
  }

  async sign(
    method: PresignMethod,
    bucket: string,
    key: string,
    expiresInS: number,
    at: Date,
    responseParams: Record<string, string> = {},
  ): Promise<string> {
    try {
      return await this.signer.sign(method, bucket, key, expiresInS, at, responseParams);
    } catch (error) {
      if (error instanceof ScopedCredentialsUnavailableError)
        throw ProblemException.of(
          503,
          'storage-unavailable',
          'Object storage could not issue credentials for the URL; try again shortly',
          {},
          { 'Retry-After': String(RETRY_AFTER_S) },
        );
      throw error;
    }
  }
}
