import { Inject, Injectable } from '@nestjs/common';
import type { Caller } from '@iotwins/auth';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException, type ProblemItem } from '@iotwins/http';
import { inertPresignParams } from '@iotwins/storage';
import type { ObjectstoreConfig } from '../app.config';
import { BucketsService } from '../buckets/buckets.service';
import { objectKeyProblem } from '../objects/object-key';
import { ObjectsService } from '../objects/objects.service';
import type { PresignRequestDto, PresignedUrlsDto } from './presign.dto';
import { UrlSigner } from './url.signer';

/** Permission look-ups and credential requests run this many at once for a large batch. */
const CHECK_CONCURRENCY = 16;

/**
 * Presigned URLs let a gateway move bulk data straight to and from S3. Every key of a batch
 * is checked as if the caller made the request itself; one bad key fails the whole batch,
 * with the index of each.
 */
@Injectable()
export class PresignService {
  constructor(
    private readonly buckets: BucketsService,
    private readonly objects: ObjectsService,
    private readonly signer: UrlSigner,
    @Inject(APP_CONFIG) private readonly config: ObjectstoreConfig,
  ) {}

  async presign(
    caller: Caller,
    tenant: string,
    bucketName: string,
    request: PresignRequestDto,
  ): Promise<PresignedUrlsDto> {
    const maxKeys = this.config.OBJECTSTORE_PRESIGN_MAX_KEYS;
    const maxExpiry = this.config.OBJECTSTORE_PRESIGN_MAX_EXPIRY_S;
    if (request.keys.length > maxKeys)
      throw ProblemException.of(
        400,
        'too-many-keys',
        `A batch presigns at most ${maxKeys} keys; got ${request.keys.length}`,
      );
    const expiresIn =
      request.expiresIn ?? Math.min(this.config.OBJECTSTORE_PRESIGN_DEFAULT_EXPIRY_S, maxExpiry);
    if (expiresIn > maxExpiry)
      throw ProblemException.of(
        400,
        'expiry-too-long',
        `expiresIn is at most ${maxExpiry} seconds`,
      );
    const invalid: ProblemItem[] = [];
    request.keys.forEach((key, index) => {
      const problem = objectKeyProblem(key, request.method === 'PUT' ? 'write' : 'read');
      if (problem)
        invalid.push({ index, pointer: `/keys/${index}`, detail: `Object key ${problem}` });
    });
    if (invalid.length > 0)
      throw ProblemException.of(
        400,
        'invalid-object-key',
        `${invalid.length} key(s) are not valid`,
        { errors: invalid },
      );

    const bucket = await this.buckets.resolve(tenant, bucketName);
    const forbidden: ProblemItem[] = [];
    await forEachLimited(request.keys, CHECK_CONCURRENCY, async (key, index) => {
      const allowed =
        request.method === 'GET'
          ? await this.objects.mayRead(caller, bucket, key)
          : await this.objects.assertMayWrite(caller, bucket, key).then(
              () => true,
              (error: unknown) => {
                if (error instanceof ProblemException && error.problem.status === 403) return false;
                throw error;
              },
            );
      if (!allowed)
        forbidden.push({
          index,
          pointer: `/keys/${index}`,
          detail: `You may not ${request.method} "${key}"`,
        });
    });
    if (forbidden.length > 0) {
      forbidden.sort((a, b) => a.index! - b.index!);
      throw ProblemException.of(
        403,
        'object-forbidden',
        `${forbidden.length} key(s) are not yours to ${request.method}`,
        {
          errors: forbidden,
        },
      );
    }
    const now = new Date();
    // Each URL gets its own scoped credentials from S3's STS: a bounded number at once, so a
    // batch of a thousand keys does not open a thousand requests to S3.
    const urls: { key: string; url: string }[] = new Array(request.keys.length);
    await forEachLimited(request.keys, CHECK_CONCURRENCY, async (key, index) => {
      urls[index] = {
        key,
        url: await this.signer.sign(
          request.method,
          bucket.physical,
          key,
          expiresIn,
          now,
          // Downloads are attachments unless the bucket serves inline content (as on GET).
          bucket.record.inlineContent === true ? {} : inertPresignParams(key),
        ),
      };
    });
    return {
      method: request.method,
      expiresAt: new Date(now.getTime() + expiresIn * 1000).toISOString(),
      urls,
    };
  }
}

async function forEachLimited<T>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
