import { services, type RunningApp } from '@iotwins/testing';
import { Api, EventTap, bucketName, principals, startObjectstore } from './objectstore.fixture';

/**
 * Uploads that go straight to MinIO through presigned URLs while NATS is down still become
 * events: MinIO keeps its notifications in its queue directory and delivers them once NATS
 * is back, and the relay publishes them.
 */
describe('objectstore events survive a NATS outage', () => {
  let app: RunningApp;
  let tap: EventTap;
  let api: Api;

  beforeAll(async () => {
    const [started, who, opened] = await Promise.all([
      startObjectstore(),
      principals(),
      EventTap.open('tenant-a'),
    ]);
    app = started;
    tap = opened;
    api = new Api(app.baseUrl, who.writer);
  });
  afterAll(async () => {
    services('start', 'nats');
    await tap?.close();
    await app?.close();
  });

  it('an upload made while NATS is stopped raises its event once NATS is back', async () => {
    const bucket = bucketName('outage');
    expect((await api.createBucket(bucket)).status).toBe(201);
    const key = 'offline/upload.csv';
    const presigned = await api.request('POST', `/v1/buckets/${bucket}/presigned-urls`, {
      json: { method: 'PUT', keys: [key] },
    });
    const { urls } = (await presigned.json()) as { urls: { url: string }[] };

    services('stop', 'nats');
    try {
      const upload = await fetch(urls[0]!.url, {
        method: 'PUT',
        body: 'written during the outage',
      });
      expect(upload.status).toBe(200);
    } finally {
      services('start', 'nats');
    }
    const event = await tap.next(
      (e) =>
        e.type === 'objectstore.object.created.v1' &&
        e.data.bucket === bucket &&
        e.data.key === key,
      90_000,
    );
    expect(event.data).toMatchObject({ size: 'written during the outage'.length });
  }, 150_000);
});
