import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import {
  S3_NOTIFICATIONS_RELAY_CONSUMER,
  S3_NOTIFICATIONS_STREAM,
  S3_NOTIFICATIONS_SUBJECT,
} from '@iotwins/messaging';
import { requireEnv, waitFor, type RunningApp } from '@iotwins/testing';
import { Api, EventTap, bucketName, openSuite } from './objectstore.fixture';

/**
 * The relay reads what MinIO publishes; a message on that stream that cannot be relayed (not
 * a notification, or a record whose key cannot be decoded) is terminated at once, never
 * retried forever, and the next upload's event still comes through.
 */
describe('objectstore event relay survives unreadable notifications, against the real NATS and MinIO', () => {
  let app: RunningApp;
  let tap: EventTap;
  let api: Api;
  let nc: NatsConnection;

  beforeAll(async () => {
    const suite = await openSuite();
    ({ app, tap } = suite);
    api = new Api(app.baseUrl, suite.who.owner);
    nc = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
    });
  });
  afterAll(async () => {
    await nc?.close();
    await tap?.close();
    await app?.close();
  });

  it('terminates each unreadable notification and relays the next upload', async () => {
    const terminated = new Set<number>();
    const advisories = nc.subscribe(
      `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${S3_NOTIFICATIONS_STREAM}.${S3_NOTIFICATIONS_RELAY_CONSUMER}`,
      {
        callback: (_error, message) => {
          terminated.add(message.json<{ stream_seq: number }>().stream_seq);
        },
      },
    );
    await nc.flush();
    const record = (key: string) => ({
      eventName: 's3:ObjectCreated:Put',
      eventTime: new Date().toISOString(),
      s3: { bucket: { name: 'tdoesnotexist-x' }, object: { key, size: 1 } },
    });
    const js = jetstream(nc);
    const sequences: number[] = [];
    for (const body of [
      'not json',
      new Uint8Array([0xff, 0xfe, 0x00]),
      JSON.stringify({ Records: 'none' }),
      JSON.stringify({ Records: [record('%E0%A4%A')] }),
      JSON.stringify({ Records: [record('a%00b')] }),
    ])
      sequences.push((await js.publish(S3_NOTIFICATIONS_SUBJECT, body)).seq);
    try {
      await waitFor('every unreadable notification terminated', async () =>
        sequences
          // A record of a bucket the app did not make is acknowledged, not terminated.
          .slice(0, 4)
          .every((seq) => terminated.has(seq)),
      );
    } finally {
      advisories.unsubscribe();
    }

    const bucket = bucketName('relay');
    expect((await api.createBucket(bucket)).status).toBe(201);
    expect((await api.putObject(bucket, 'after/poison.txt', 'x')).status).toBe(200);
    await tap.next(
      (event) =>
        event.type === 'objectstore.object.created.v1' &&
        event.data.bucket === bucket &&
        event.data.key === 'after/poison.txt',
    );
  });
});
