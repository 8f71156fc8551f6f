import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Caller } from '@iotwins/auth';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import {
  EventPublisher,
  ObjectstoreEventType,
  createEvent,
  objectstoreEventSubject,
} from '@iotwins/messaging';
import {
  ObjectTooLargeError,
  inertPresignParams,
  isS3NotFound,
  isS3Unavailable,
  s3ErrorCode,
} from '@iotwins/storage';
import {
  isAcl,
  mayAdministerBucket,
  mayListBucket,
  mayReadObject,
  mayWriteObject,
  readNeedsObjectAcl,
  writeNeedsExistingAcl,
  type Acl,
  type Principal,
} from '../access/acl';
import type { ObjectstoreConfig } from '../app.config';
import { APP_NAME } from '../app.name';
import { BucketsService, type ResolvedBucket } from '../buckets/buckets.service';
import { objectKeyProblem } from './object-key';
import { READ_CONDITION_HEADERS, ObjectStore, ACL_TAG } from './object.store';
import { storedHeaders } from './object-headers';
import { UrlSigner } from '../presign/url.signer';
import { encodeCursor, type ListQuery } from './list-query';
import type {
  CopiedObjectDto,
  CopyObjectDto,
  ObjectAclViewDto,
  ObjectListDto,
  ObjectWrittenDto,
} from './objects.dto';

/** The header that sets an object's own ACL as it is uploaded. */
export const ACL_HEADER = 'x-iotwins-acl';

export interface ObjectRead {
  status: number;
  headers: IncomingHttpHeaders;
  /** The S3 answer; the caller streams it to the client or destroys it. */
  body: IncomingMessage;
  /** The object key, for the file name of its Content-Disposition. */
  key: string;
  /** The bucket serves inline web content (an explicit setting; attachments otherwise). */
  inline: boolean;
}

@Injectable()
export class ObjectsService {
  constructor(
    private readonly buckets: BucketsService,
    private readonly store: ObjectStore,
    private readonly events: EventPublisher,
    private readonly signer: UrlSigner,
    @Inject(APP_CONFIG) private readonly config: ObjectstoreConfig,
  ) {}

  /**
   * A short-lived presigned URL of the object, for downloads that skip the app: the checks
   * are the same as for a streamed GET, only the bytes come from S3 directly. For callers other
   * than the owner the object's existence is known from its ACL look-up; for the owner a
   * missing object is reported by S3 at the URL.
   */
  async downloadUrl(
    principal: Principal,
    tenant: string,
    bucketName: string,
    key: string,
  ): Promise<string> {
    const bucket = await this.buckets.resolve(tenant, bucketName);
    assertKey(key);
    let ownAcl: Acl | undefined;
    if (readNeedsObjectAcl(principal, bucket.record)) {
      const own = await this.store.ownAcl(bucket.physical, key);
      if (!own.exists) throw notFound(bucketName, key);
      ownAcl = own.acl;
    }
    assertAllowed(mayReadObject(principal, bucket.record, ownAcl), readAction(bucketName, key));
    return this.signer.sign(
      'GET',
      bucket.physical,
      key,
      this.config.OBJECTSTORE_REDIRECT_EXPIRY_S,
      new Date(),
      bucket.record.inlineContent === true ? {} : inertPresignParams(key),
    );
  }

  async put(
    caller: Caller,
    tenant: string,
    bucketName: string,
    key: string,
    headers: IncomingHttpHeaders,
    body: AsyncIterable<Buffer>,
  ): Promise<ObjectWrittenDto> {
    const bucket = await this.buckets.resolve(tenant, bucketName);
    assertKey(key, 'write');
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > this.config.OBJECTSTORE_MAX_OBJECT_BYTES)
      throw tooLarge(this.config.OBJECTSTORE_MAX_OBJECT_BYTES);
    const stored = storedHeaders(headers);
    if (stored.problems.length > 0) {
      throw ProblemException.of(
        400,
        'invalid-object-headers',
        'Some headers of the upload are not valid',
        {
          errors: stored.problems.map((p) => ({ pointer: p.header, detail: p.detail })),
        },
      );
    }
    const acl = headers[ACL_HEADER];
    if (acl !== undefined) {
      if (!isAcl(acl))
        throw ProblemException.of(
          400,
          'invalid-acl',
          `${ACL_HEADER} must be one of private, tenant-read, tenant-write, public-read`,
        );
      assertAllowed(
        mayAdministerBucket(caller, bucket.record),
        `set the ACL of objects in bucket "${bucketName}"`,
      );
      stored.headers['x-amz-tagging'] = `${ACL_TAG}=${acl}`;
    }
    await this.assertMayWrite(caller, bucket, key);
    try {
      const written = await this.store.upload(bucket.physical, key, body, stored.headers);
      return {
        bucket: bucketName,
        key,
        size: written.size,
        etag: written.etag,
        sha256: written.sha256,
        contentType: stored.headers['content-type']!,
      };
    } catch (error) {
      if (error instanceof ObjectTooLargeError) throw tooLarge(error.maxBytes);
      if (
        (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE' ||
        (error as Error).message === 'aborted'
      )
        throw ProblemException.of(
          400,
          'upload-incomplete',
          'The body ended before it was complete; nothing was stored',
        );
      throw objectProblem(error, bucketName, key);
    }
  }

  /**
   * A GET or HEAD with the client's range and conditions. The object's own ACL is looked up
   * only when the decision depends on it and the object has tags at all.
   */
  async read(
    principal: Principal,
    tenant: string,
    bucketName: string,
    key: string,
    method: 'GET' | 'HEAD',
    requestHeaders: IncomingHttpHeaders,
  ): Promise<ObjectRead> {
    const bucket = await this.buckets.resolve(tenant, bucketName);
    assertKey(key);
    const conditions: Record<string, string> = {};
    for (const name of READ_CONDITION_HEADERS) {
      const value = requestHeaders[name];
      if (typeof value === 'string') conditions[name] = value;
    }
    let body: IncomingMessage;
    try {
      body = await this.store.fetch(bucket.physical, key, method, conditions);
    } catch (error) {
      // A failed condition or range tells that the object exists: only to those who may read it.
      if (!isS3NotFound(error))
        assertAllowed(await this.mayRead(principal, bucket, key), readAction(bucketName, key));
      throw objectProblem(error, bucketName, key);
    }
    try {
      let ownAcl: Acl | undefined;
      if (readNeedsObjectAcl(principal, bucket.record)) {
        const tagged = Number(
          body.headers['x-amz-tagging-count'] ?? (body.statusCode === 304 ? 1 : 0),
        );
        if (tagged > 0) ownAcl = (await this.store.ownAcl(bucket.physical, key)).acl;
      }
      assertAllowed(mayReadObject(principal, bucket.record, ownAcl), readAction(bucketName, key));
    } catch (error) {
      body.destroy();
      throw error;
    }
    return {
      status: body.statusCode ?? 200,
      headers: body.headers,
      body,
      key,
      inline: bucket.record.inlineContent === true,
    };
  }

  async delete(caller: Caller, tenant: string, bucketName: string, key: string): Promise<void> {
    const { bucket, acl } = await this.existing(tenant, bucketName, key);
    assertAllowed(
      mayWriteObject(caller, bucket.record, acl),
      `delete "${key}" in bucket "${bucketName}"`,
    );
    await this.store.remove(bucket.physical, key);
  }

  async list(
    caller: Caller,
    tenant: string,
    bucketName: string,
    query: ListQuery,
  ): Promise<ObjectListDto> {
    const bucket = await this.buckets.resolve(tenant, bucketName);
    assertAllowed(mayListBucket(caller, bucket.record), `list bucket "${bucketName}"`);
    const page = await this.store.list(bucket.physical, {
      prefix: query.prefix,
      delimiter: query.delimiter,
      limit: query.limit,
      startAfter: query.startAfter,
    });
    return {
      bucket: bucketName,
      prefix: query.prefix,
      ...(query.delimiter ? { delimiter: query.delimiter } : {}),
      objects: page.objects,
      prefixes: page.prefixes,
      ...(page.startAfter === undefined ? {} : { nextCursor: encodeCursor(page.startAfter) }),
    };
  }

  async copy(
    caller: Caller,
    tenant: string,
    bucketName: string,
    request: CopyObjectDto,
  ): Promise<CopiedObjectDto> {
    const target = await this.buckets.resolve(tenant, bucketName);
    const source = await this.buckets.resolve(tenant, request.sourceBucket ?? bucketName);
    assertKey(request.key, 'write');
    assertKey(request.sourceKey);
    const sourceAcl = await this.store.ownAcl(source.physical, request.sourceKey);
    if (!sourceAcl.exists) throw notFound(source.name, request.sourceKey);
    assertAllowed(
      mayReadObject(caller, source.record, sourceAcl.acl),
      `read "${request.sourceKey}" in bucket "${source.name}"`,
    );
    await this.assertMayWrite(caller, target, request.key);
    try {
      const copied = await this.store.copy(
        { bucket: source.physical, key: request.sourceKey },
        { bucket: target.physical, key: request.key },
      );
      return { bucket: bucketName, key: request.key, ...copied };
    } catch (error) {
      throw objectProblem(error, source.name, request.sourceKey);
    }
  }

  async getAcl(
    caller: Caller,
    tenant: string,
    bucketName: string,
    key: string,
  ): Promise<ObjectAclViewDto> {
    const { bucket, acl } = await this.existing(tenant, bucketName, key);
    assertAllowed(mayReadObject(caller, bucket.record, acl), readAction(bucketName, key));
    return { acl: acl ?? null, effective: acl ?? bucket.record.acl };
  }

  async setAcl(
    caller: Caller,
    tenant: string,
    bucketName: string,
    key: string,
    acl: Acl | null,
  ): Promise<ObjectAclViewDto> {
    const bucket = await this.buckets.resolve(tenant, bucketName);
    assertKey(key);
    assertAllowed(
      mayAdministerBucket(caller, bucket.record),
      `change ACLs in bucket "${bucketName}"`,
    );
    try {
      await this.store.setOwnAcl(bucket.physical, key, acl);
    } catch (error) {
      throw objectProblem(error, bucketName, key);
    }
    await this.events.publish(
      objectstoreEventSubject(tenant, ObjectstoreEventType.AclChanged),
      createEvent({
        type: ObjectstoreEventType.AclChanged,
        source: APP_NAME,
        tenant: tenant,
        data: { bucket: bucketName, key, acl },
      }),
    );
    return { acl, effective: acl ?? bucket.record.acl };
  }

  /** The bucket and own ACL of an object that must exist (404 otherwise). */
  private async existing(
    tenant: string,
    bucketName: string,
    key: string,
  ): Promise<{ bucket: ResolvedBucket; acl: Acl | undefined }> {
    const bucket = await this.buckets.resolve(tenant, bucketName);
    assertKey(key);
    const own = await this.store.ownAcl(bucket.physical, key);
    if (!own.exists) throw notFound(bucketName, key);
    return { bucket, acl: own.acl };
  }

  /** Writes need the bucket's say and, for callers other than the owner, the replaced object's. */
  async assertMayWrite(caller: Caller, bucket: ResolvedBucket, key: string): Promise<void> {
    const existingAcl = writeNeedsExistingAcl(caller, bucket.record)
      ? (await this.store.ownAcl(bucket.physical, key)).acl
      : undefined;
    assertAllowed(
      mayWriteObject(caller, bucket.record, existingAcl),
      `write "${key}" in bucket "${bucket.name}"`,
    );
  }

  /** Reads by callers other than the owner may depend on the object's own ACL. */
  async mayRead(principal: Principal, bucket: ResolvedBucket, key: string): Promise<boolean> {
    const ownAcl = readNeedsObjectAcl(principal, bucket.record)
      ? (await this.store.ownAcl(bucket.physical, key)).acl
      : undefined;
    return mayReadObject(principal, bucket.record, ownAcl);
  }
}

export function assertKey(key: string, use: 'read' | 'write' = 'read'): void {
  const problem = objectKeyProblem(key, use);
  if (problem) throw ProblemException.of(400, 'invalid-object-key', `Object key ${problem}`);
}

function assertAllowed(allowed: boolean, action: string): void {
  if (!allowed) throw ProblemException.of(403, 'object-forbidden', `You may not ${action}`);
}

function readAction(bucket: string, key: string): string {
  return `read "${key}" in bucket "${bucket}"`;
}

function notFound(bucket: string, key: string): ProblemException {
  return ProblemException.of(
    404,
    'object-not-found',
    `Bucket "${bucket}" holds no object "${key}"`,
  );
}

function tooLarge(maxBytes: number): ProblemException {
  return ProblemException.of(413, 'object-too-large', `Objects are at most ${maxBytes} bytes`);
}

/** S3 errors of an object call as the problems a client can act on. */
function objectProblem(error: unknown, bucket: string, key: string): unknown {
  if (isS3NotFound(error)) return notFound(bucket, key);
  if (isS3Unavailable(error)) {
    // The storage server is away (an outage, a restart): nothing was stored, try again.
    return ProblemException.of(
      503,
      'storage-unavailable',
      'The object storage does not answer; nothing was stored, try again later',
      {},
      { 'Retry-After': '5' },
    );
  }
  const code = s3ErrorCode(error);
  if (code === 'PreconditionFailed') {
    return ProblemException.of(
      412,
      'precondition-failed',
      'A condition of the request (If-Match, If-Unmodified-Since) does not hold',
    );
  }
  if (code === 'InvalidRange') {
    return ProblemException.of(
      416,
      'range-not-satisfiable',
      'The requested range lies outside the object',
    );
  }
  return error;
}
