import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { createS3Client } from '@iotwins/storage';
import { repoRoot, requireEnv, services, tokens, waitFor, type RunningApp } from '@iotwins/testing';
import { physicalBucketName } from '../src/buckets/bucket-name';
import { Api, bucketName, startObjectstore } from './objectstore.fixture';

const MIB = 1024 * 1024;
const OBJECT_BYTES = 200 * MIB;

/**
 * MinIO stopped in the middle of a 200 MB upload: the caller is told 503 with Retry-After
 * (nothing stored, try again), and the multipart upload the outage cut short does not stay in
 * MinIO: its abort is retried until MinIO is back.
 */
describe('objectstore under a MinIO outage', () => {
  let app: RunningApp;
  let token: string;
  let bucket: string;
  const s3 = createS3Client({
    endpoint: requireEnv('S3_ENDPOINT'),
    accessKey: requireEnv('S3_ACCESS_KEY'),
    secretKey: requireEnv('S3_SECRET_KEY'),
  });

  beforeAll(async () => {
    [app, token] = await Promise.all([startObjectstore(), tokens.alice()]);
    bucket = bucketName('outage');
    expect((await new Api(app.baseUrl, token).createBucket(bucket)).status).toBe(201);
  });
  afterAll(async () => {
    services('start', 'minio');
    await app?.close();
  });

  const incompleteUploads = async (): Promise<string[]> => {
    const keys: string[] = [];
    const stream = s3.listIncompleteUploads(physicalBucketName('tenant-a', bucket), '', true);
    for await (const upload of stream as AsyncIterable<{ key: string }>) keys.push(upload.key);
    return keys;
  };

  it('answers 503 with Retry-After and leaves no incomplete upload once MinIO is back', async () => {
    // Stopped asynchronously: the app runs in this process and must keep serving meanwhile.
    let stopping: Promise<unknown> | undefined;
    const block = Buffer.alloc(MIB, 7);
    // A raw socket, as curl behaves: the answer is read even when the app answers (and
    // stops reading) before the whole body is sent.
    const { hostname, port } = new URL(app.baseUrl);
    const answer = await new Promise<{ status: number; retryAfter?: string; body: string }>(
      (done, fail) => {
        const socket = connect(Number(port), hostname);
        let received = '';
        const finish = (): void => {
          const [head = '', body = ''] = received.split('\r\n\r\n');
          if (!head.startsWith('HTTP/1.1 ')) return fail(new Error(`no answer: ${received}`));
          done({
            status: Number(head.slice(9, 12)),
            retryAfter: /^retry-after: (.*)$/im.exec(head)?.[1]?.trim(),
            body: body.includes('{')
              ? body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1)
              : body,
          });
        };
        socket.on('data', (chunk: Buffer) => {
          received += chunk.toString();
          // One answer is all this test waits for.
          if (/\r\n\r\n[\s\S]*\}/.test(received)) {
            socket.destroy();
            finish();
          }
        });
        socket.on('error', () => undefined);
        socket.on('close', () =>
          received ? finish() : fail(new Error('closed without an answer')),
        );
        socket.write(
          `PUT /v1/buckets/${bucket}/objects/cut/short.bin HTTP/1.1\r\nhost: ${hostname}:${port}\r\n` +
            `authorization: Bearer ${token}\r\ncontent-type: application/octet-stream\r\n` +
            `content-length: ${OBJECT_BYTES}\r\n\r\n`,
        );
        let sent = 0;
        const pump = (): void => {
          while (sent < OBJECT_BYTES && !socket.destroyed) {
            sent += MIB;
            if (sent === 40 * MIB)
              stopping = promisify(execFile)('bash', [
                resolve(repoRoot, 'scripts/services.sh'),
                'stop',
                'minio',
              ]);
            if (!socket.write(block)) {
              // Paced once MinIO is being stopped, so the outage falls mid-upload.
              socket.once('drain', () => setTimeout(pump, stopping ? 20 : 0));
              return;
            }
          }
        };
        pump();
      },
    );
    await stopping;
    expect(answer.status).toBe(503);
    expect(answer.retryAfter).toBe('5');
    expect(JSON.parse(answer.body)).toMatchObject({
      type: 'urn:iotwins:problem:storage-unavailable',
    });

    services('start', 'minio');
    await waitFor(
      'no incomplete upload left in MinIO',
      async () => (await incompleteUploads()).length === 0,
      {
        timeoutMs: 90_000,
        intervalMs: 1_000,
      },
    );
    // And nothing half-written became an object.
    const head = await fetch(`${app.baseUrl}/v1/buckets/${bucket}/objects/cut/short.bin`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(head.status).toBe(404);
  }, 240_000);
});
