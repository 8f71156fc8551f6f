import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Client } from 'minio';
import { fill } from './part.fill';
import { s3ErrorCode } from './s3.errors';

export interface StreamUploadOptions {
  /** Bytes per S3 part; the upload holds at most (concurrency + 1) of these in memory. */
  partSize: number;
  /** Parts sent at once. */
  concurrency: number;
  /** The upload fails with ObjectTooLargeError as soon as more bytes than this arrive. */
  maxBytes: number;
  /** Content-Type, Cache-Control, x-amz-meta-* and other headers stored with the object. */
  headers: Record<string, string>;
}

export interface StreamUploadResult {
  etag: string;
  versionId: string | null;
  size: number;
  /** Hex SHA-256 of the bytes as they arrived. */
  sha256: string;
  multipart: boolean;
}

export class ObjectTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The object exceeds ${maxBytes} bytes`);
  }
}

/**
 * Streams a body into S3 without holding it: bodies up to one part go up in one PUT, larger
 * ones as a multipart upload with a bounded number of parts in flight. A body that ends in an
 * error (the sender went away, the size limit) aborts the multipart upload, so a half-sent
 * body never becomes an object. minio's own putObject would complete the upload with what
 * had arrived, and buffers a whole part per guessed size when the length is unknown.
 */
export async function uploadStream(
  client: Client,
  bucket: string,
  key: string,
  source: AsyncIterable<Buffer>,
  options: StreamUploadOptions,
): Promise<StreamUploadResult> {
  const upload = new PartUploader(client, bucket, key, options);
  try {
    return await upload.run(source);
  } catch (error) {
    await upload.abort();
    throw error;
  }
}

class PartUploader {
  private readonly hash = createHash('sha256');
  private readonly spare: Buffer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly etags: { part: number; etag: string }[] = [];
  private uploadId: string | undefined;
  private failure: unknown;
  private size = 0;
  private parts = 0;

  constructor(
    private readonly client: Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly options: StreamUploadOptions,
  ) {}

  async run(source: AsyncIterable<Buffer>): Promise<StreamUploadResult> {
    const { partSize, maxBytes } = this.options;
    // Chunks are kept as they arrive until a part is full: a small body is never copied
    // into a part-sized buffer, which would cost a part's worth of memory per request.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const chunk of source) {
      this.size += chunk.length;
      if (this.size > maxBytes) throw new ObjectTooLargeError(maxBytes);
      this.hash.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes >= partSize) {
        const part = this.buffer();
        pending = fill(part, pending);
        pendingBytes -= partSize;
        await this.send(part, partSize, true);
      }
    }
    const rest = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    if (this.uploadId === undefined) {
      // The whole body is one part: its SHA-256 also signs the request, no second pass.
      const sha256 = this.digest();
      const { etag, versionId } = await this.putWhole(rest, sha256);
      return { etag, versionId, size: this.size, sha256, multipart: false };
    }
    if (pendingBytes > 0) await this.send(rest, pendingBytes, false);
    await this.settle();
    this.etags.sort((a, b) => a.part - b.part);
    const { etag, versionId } = await this.client.completeMultipartUpload(
      this.bucket,
      this.key,
      this.uploadId,
      this.etags,
    );
    this.uploadId = undefined;
    return { etag, versionId, size: this.size, sha256: this.digest(), multipart: true };
  }

  /**
   * Aborts the multipart upload, so its parts do not stay in S3. When S3 cannot take the
   * abort now (it is the outage that failed the upload), the abort is retried in the
   * background until S3 answers, without holding the caller's answer back.
   */
  async abort(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    if (this.uploadId === undefined) return;
    const uploadId = this.uploadId;
    this.uploadId = undefined;
    const abort = (): Promise<void> =>
      this.client.abortMultipartUpload(this.bucket, this.key, uploadId);
    if (await abort().then(() => true, isAbortDone)) return;
    void retryAbort(abort);
  }

  private digest(): string {
    return this.hash.digest('hex');
  }

  private buffer(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafe(this.options.partSize);
  }

  private async send(part: Buffer, length: number, pooled: boolean): Promise<void> {
    this.uploadId ??= await this.client.initiateNewMultipartUpload(this.bucket, this.key, {
      ...this.options.headers,
    });
    while (this.inFlight.size >= this.options.concurrency) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const partNumber = ++this.parts;
    const uploadId = this.uploadId;
    const sending = this.sendPart(uploadId, partNumber, part.subarray(0, length))
      .then((etag) => {
        this.etags.push({ part: partNumber, etag });
        if (pooled) this.spare.push(part);
      })
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  /** One PUT, with the headers exactly as given (minio's putObject would rename some). */
  private async putWhole(
    body: Buffer,
    sha256: string,
  ): Promise<{ etag: string; versionId: string | null }> {
    const headers = { ...this.options.headers, 'content-length': String(body.length) };
    const request = { method: 'PUT', bucketName: this.bucket, objectName: this.key, headers };
    const response: IncomingMessage = this.client.enableSHA256
      ? await this.client.makeRequestStreamAsync(request, body, sha256, [200], '')
      : await this.client.makeRequestAsync(request, body, [200]);
    response.resume();
    const version = response.headers['x-amz-version-id'];
    return {
      etag: unquote(response.headers.etag),
      versionId: typeof version === 'string' ? version : null,
    };
  }

  private async sendPart(uploadId: string, partNumber: number, body: Buffer): Promise<string> {
    const response: IncomingMessage = await this.client.makeRequestAsync(
      {
        method: 'PUT',
        bucketName: this.bucket,
        objectName: this.key,
        query: `partNumber=${partNumber}&uploadId=${encodeURIComponent(uploadId)}`,
      },
      body,
      [200],
    );
    response.resume();
    if (!response.headers.etag) throw new Error(`S3 answered part ${partNumber} without an ETag`);
    return unquote(response.headers.etag);
  }

  private async settle(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

/** First wait before an abort is tried again; it doubles up to ABORT_RETRY_MAX_DELAY_MS. */
const ABORT_RETRY_FIRST_DELAY_MS = 1_000;
const ABORT_RETRY_MAX_DELAY_MS = 30_000;
/** After this, S3's own expiry of stale uploads (MinIO: 24 h by default) is left to clean up. */
const ABORT_RETRY_FOR_MS = 6 * 60 * 60 * 1000;

async function retryAbort(abort: () => Promise<void>): Promise<void> {
  const giveUpAt = Date.now() + ABORT_RETRY_FOR_MS;
  for (let delay = ABORT_RETRY_FIRST_DELAY_MS; Date.now() < giveUpAt; ) {
    // unref: a pending retry never keeps a stopping process alive.
    await new Promise((resolve) => setTimeout(resolve, delay).unref());
    if (await abort().then(() => true, isAbortDone)) return;
    delay = Math.min(delay * 2, ABORT_RETRY_MAX_DELAY_MS);
  }
}

/** An abort that failed because the upload is gone already has done its job. */
function isAbortDone(error: unknown): boolean {
  return s3ErrorCode(error) === 'NoSuchUpload';
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}
