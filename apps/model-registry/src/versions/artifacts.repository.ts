import type { Readable } from 'node:stream';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import {
  S3Storage,
  ScopedUrlSigner,
  inertPresignParams,
  s3ErrorCode,
  uploadStream,
  type StreamUploadResult,
} from '@iotwins/storage';
import type { ModelRegistryConfig } from '../app.config';

/** Where a tenant's artifacts live: the tenant comes from the token, never from a request. */
export function tenantArtifactPrefix(tenant: string): string {
  return `tenants/${tenant}/`;
}

export function modelArtifactPrefix(tenant: string, modelId: string): string {
  return `${tenantArtifactPrefix(tenant)}models/${modelId}/`;
}

/**
 * One upload's own prefix. Files are written here first and the version document, written
 * after them, points at it: a prefix no version points at is a crashed or refused upload.
 */
export function uploadArtifactPrefix(tenant: string, modelId: string, uploadId: string): string {
  return `${modelArtifactPrefix(tenant, modelId)}uploads/${uploadId}/`;
}

/** The upload prefix a key belongs to, or undefined for a key outside the layout. */
export function uploadPrefixOf(key: string): string | undefined {
  return /^(tenants\/[^/]+\/models\/[^/]+\/uploads\/[^/]+\/)/.exec(key)?.[1];
}

export interface ArtifactObject {
  key: string;
  lastModified: Date;
}

/** The S3 bucket of model artifacts, the only place that speaks S3 in this app. */
@Injectable()
export class ArtifactsRepository implements OnModuleInit {
  private readonly signer: ScopedUrlSigner;

  constructor(
    private readonly s3: S3Storage,
    @Inject(APP_CONFIG) private readonly config: ModelRegistryConfig,
  ) {
    // Download URLs are signed with temporary credentials good for that one object only; the
    // host is part of the signature, so they name the endpoint callers reach.
    this.signer = new ScopedUrlSigner({
      sts: {
        endpoint: config.S3_ENDPOINT,
        accessKey: config.S3_ACCESS_KEY,
        secretKey: config.S3_SECRET_KEY,
      },
      publicEndpoint: config.S3_PUBLIC_ENDPOINT ?? config.S3_ENDPOINT,
    });
  }

  private get bucket(): string {
    return this.config.MODEL_REGISTRY_BUCKET;
  }

  async onModuleInit(): Promise<void> {
    try {
      await this.s3.client.makeBucket(this.bucket);
    } catch (error) {
      const code = s3ErrorCode(error);
      if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
    }
  }

  /** Streams one file into S3; fails with ObjectTooLargeError past maxBytes, storing nothing. */
  upload(
    key: string,
    source: AsyncIterable<Buffer>,
    maxBytes: number,
    contentType: string,
  ): Promise<StreamUploadResult> {
    return uploadStream(this.s3.client, this.bucket, key, source, {
      partSize: this.config.MODEL_REGISTRY_PART_SIZE_BYTES,
      concurrency: this.config.MODEL_REGISTRY_UPLOAD_CONCURRENCY,
      maxBytes,
      headers: { 'content-type': contentType },
    });
  }

  /** Copies an object server-side (at most 5 GiB, S3's limit of one copy). */
  async copy(sourceKey: string, targetKey: string): Promise<void> {
    await this.s3.client.copyObject(this.bucket, targetKey, `/${this.bucket}/${sourceKey}`);
  }

  async read(key: string): Promise<Readable> {
    return this.s3.client.getObject(this.bucket, key);
  }

  /**
   * A GET URL for this one object, valid for `expiresInS`; S3 answers it as an attachment
   * named `filename` (signed in, so the holder cannot drop it).
   */
  presign(key: string, expiresInS: number, filename: string): Promise<string> {
    return this.signer.sign(
      'GET',
      this.bucket,
      key,
      expiresInS,
      new Date(),
      inertPresignParams(filename),
    );
  }

  async remove(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1_000) {
      const results = await this.s3.client.removeObjects(this.bucket, keys.slice(i, i + 1_000));
      const failed = results.find((result) => result?.Error?.Code);
      if (failed) throw new Error(`S3 refused to delete ${failed.Error?.Key}`);
    }
  }

  /** Deletes every object under the prefix; returns how many. */
  async removePrefix(prefix: string): Promise<number> {
    const keys: string[] = [];
    for await (const object of this.list(prefix)) keys.push(object.key);
    await this.remove(keys);
    return keys.length;
  }

  async *list(prefix: string): AsyncGenerator<ArtifactObject> {
    for await (const item of this.s3.client.listObjectsV2(this.bucket, prefix, true)) {
      const { name, lastModified } = item as { name?: string; lastModified?: Date };
      if (name !== undefined) yield { key: name, lastModified: lastModified ?? new Date(0) };
    }
  }

  /** Multipart uploads begun under the prefix and never completed nor aborted. */
  async *incompleteUploads(prefix: string): AsyncGenerator<{ key: string; initiated: Date }> {
    for await (const item of this.s3.client.listIncompleteUploads(this.bucket, prefix, true)) {
      const { key, initiated } = item as { key?: string; initiated?: Date };
      if (key !== undefined) yield { key, initiated: initiated ?? new Date(0) };
    }
  }

  async abortIncomplete(key: string): Promise<void> {
    await this.s3.client.removeIncompleteUpload(this.bucket, key);
  }
}
