import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { S3Storage, isS3NotFound, uploadStream, type StreamUploadResult } from '@iotwins/storage';
import { isAcl, type Acl } from '../access/acl';
import type { ObjectstoreConfig } from '../app.config';

/** The object tag that holds an object's own ACL. */
export const ACL_TAG = 'iotwins-acl';

/** Request headers S3 honours on a GET or HEAD, passed through as they came. */
export const READ_CONDITION_HEADERS = [
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
] as const;

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified: string;
}

export interface ObjectPage {
  objects: ListedObject[];
  prefixes: string[];
  /** Where the next page starts; absent on the last page. */
  startAfter?: string;
}

/** After this, S3 lists nothing under a common prefix: it sorts after every key below it. */
const BEYOND_PREFIX = '\u{10FFFF}';

/** The only place that talks to S3 about objects. */
@Injectable()
export class ObjectStore {
  constructor(
    private readonly s3: S3Storage,
    @Inject(APP_CONFIG) private readonly config: ObjectstoreConfig,
  ) {}

  /** A GET or HEAD straight through to S3, conditions included; the caller consumes the body. */
  async fetch(
    bucket: string,
    key: string,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
  ): Promise<IncomingMessage> {
    return this.s3.client.makeRequestAsync(
      { method, bucketName: bucket, objectName: key, headers },
      '',
      [200, 206, 304],
    );
  }

  upload(
    bucket: string,
    key: string,
    body: AsyncIterable<Buffer>,
    headers: Record<string, string>,
  ): Promise<StreamUploadResult> {
    return uploadStream(this.s3.client, bucket, key, body, {
      partSize: this.config.OBJECTSTORE_PART_SIZE_BYTES,
      concurrency: this.config.OBJECTSTORE_UPLOAD_CONCURRENCY,
      maxBytes: this.config.OBJECTSTORE_MAX_OBJECT_BYTES,
      headers,
    });
  }

  /** Whether the object exists and its own ACL, if it has one. */
  async ownAcl(bucket: string, key: string): Promise<{ exists: boolean; acl?: Acl }> {
    try {
      const tags = await this.s3.client.getObjectTagging(bucket, key);
      const value = tags.find((tag) => tag.Key === ACL_TAG)?.Value;
      return { exists: true, acl: isAcl(value) ? value : undefined };
    } catch (error) {
      if (isS3NotFound(error)) return { exists: false };
      throw error;
    }
  }

  async setOwnAcl(bucket: string, key: string, acl: Acl | null): Promise<void> {
    // An empty versionId means the current version (the buckets are not versioned).
    if (acl === null) await this.s3.client.removeObjectTagging(bucket, key, { versionId: '' });
    else await this.s3.client.setObjectTagging(bucket, key, { [ACL_TAG]: acl }, { versionId: '' });
  }

  async remove(bucket: string, key: string): Promise<void> {
    await this.s3.client.removeObject(bucket, key);
  }

  /** Server-side copy; the copy gets no own ACL, so its bucket's ACL applies. */
  async copy(
    source: { bucket: string; key: string },
    target: { bucket: string; key: string },
  ): Promise<{ etag: string; lastModified: string }> {
    const response = await this.s3.client.makeRequestAsync(
      {
        method: 'PUT',
        bucketName: target.bucket,
        objectName: target.key,
        headers: {
          'x-amz-copy-source': `/${source.bucket}/${encodeKey(source.key)}`,
          'x-amz-tagging-directive': 'REPLACE',
        },
      },
      '',
      [200],
    );
    const xml = await readText(response);
    // S3 may answer 200 and still report an error in the body of a copy.
    if (/<Error>/.test(xml)) throw new Error(`S3 copy failed: ${xml.slice(0, 300)}`);
    return {
      etag: (/<ETag>([^<]*)<\/ETag>/.exec(xml)?.[1] ?? '').replace(/&quot;|"/g, ''),
      lastModified: /<LastModified>([^<]*)<\/LastModified>/.exec(xml)?.[1] ?? '',
    };
  }

  /** One page of keys in S3 order; with "/" as delimiter, deeper keys fold into prefixes. */
  async list(
    bucket: string,
    options: { prefix: string; delimiter: '/' | undefined; limit: number; startAfter?: string },
  ): Promise<ObjectPage> {
    const stream: Readable = this.s3.client.listObjectsV2(
      bucket,
      options.prefix,
      options.delimiter === undefined,
      options.startAfter,
    );
    const page: ObjectPage = { objects: [], prefixes: [] };
    let taken = 0;
    let last: string | undefined;
    try {
      for await (const item of stream as AsyncIterable<Record<string, unknown>>) {
        if (taken === options.limit) {
          page.startAfter = last;
          break;
        }
        taken += 1;
        if (typeof item.prefix === 'string') {
          page.prefixes.push(item.prefix);
          last = item.prefix + BEYOND_PREFIX;
        } else {
          const key = String(item.name);
          page.objects.push({
            key,
            size: Number(item.size),
            etag: String(item.etag ?? ''),
            lastModified: new Date(item.lastModified as Date).toISOString(),
          });
          last = key;
        }
      }
    } finally {
      stream.destroy();
    }
    return page;
  }
}

/** S3 wants the copy source URL-encoded, with its slashes kept. */
function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

async function readText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
