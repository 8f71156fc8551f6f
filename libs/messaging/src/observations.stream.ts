import { nanos } from '@nats-io/nats-core';
import {
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { upsertStream } from './stream.upsert';

/**
 * Model predictions and actual values sent by edge nodes with their tenant's NATS identity
 * (predictions.<tenant>.<model>, actuals.<tenant>.<model>), consumed by the retrainer. The
 * payload contracts live in observations.subjects.ts. Renaming needs a migration.
 */
export const OBSERVATIONS_STREAM = 'OBSERVATIONS';
export const OBSERVATIONS_SUBJECTS = ['predictions.*.*', 'actuals.*.*'] as const;
/** The durable consumer the retrainer replicas share. */
export const RETRAINER_OBSERVATIONS_CONSUMER = 'retrainer-observations';

const OBSERVATIONS_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/**
 * Operator step (provisionNats): the stream. The retrainer creates and updates its own durable
 * (its login may, by that name only), so the consumer's settings live with the code using it.
 */
export async function ensureObservationsStream(jsm: JetStreamManager): Promise<void> {
  const config: Partial<StreamConfig> = {
    subjects: [...OBSERVATIONS_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(OBSERVATIONS_MAX_AGE_MS),
    duplicate_window: nanos(10 * 60 * 1000),
  };
  await upsertStream(jsm, OBSERVATIONS_STREAM, config, false);
}
