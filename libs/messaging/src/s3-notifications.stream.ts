import { nanos } from '@nats-io/nats-core';
import {
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { addDurableIfMissing } from './durable.add';
import {
  S3_NOTIFICATIONS_RELAY_CONSUMER,
  S3_NOTIFICATIONS_STREAM,
  S3_NOTIFICATIONS_SUBJECT,
} from './objectstore.events';
import { upsertStream } from './stream.upsert';

/** How long MinIO's notifications wait for the relay before they expire. */
const NOTIFICATIONS_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/**
 * Operator step (provisionNats): the stream MinIO publishes bucket notifications to, and the
 * objectstore relay's durable consumer. It must exist before MinIO's first notification, or
 * MinIO keeps retrying it from its queue directory.
 */
export async function ensureS3NotificationsStream(jsm: JetStreamManager): Promise<void> {
  const config: Partial<StreamConfig> = {
    subjects: [S3_NOTIFICATIONS_SUBJECT],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(NOTIFICATIONS_MAX_AGE_MS),
  };
  await upsertStream(jsm, S3_NOTIFICATIONS_STREAM, config, false);
  await addDurableIfMissing(jsm, S3_NOTIFICATIONS_STREAM, S3_NOTIFICATIONS_RELAY_CONSUMER);
}
