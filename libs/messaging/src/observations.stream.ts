import { nanos } from '@nats-io/nats-core';
import {
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import {
  ACTUALS_SUBJECTS,
  OBSERVATIONS_STREAM,
  PREDICTIONS_SUBJECTS,
} from './observations.subjects';
import { upsertStream } from './stream.upsert';

/** A retrainer down longer than this loses the older observations. */
const OBSERVATIONS_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const OBSERVATIONS_MAX_BYTES = 1024 * 1024 * 1024;

/**
 * Operator step (provisionNats): the stream of model predictions and actual values. Limits
 * retention, not interest: the retrainer keeps its own position in PostgreSQL and re-creates
 * its durable from there after a crash, so messages must outlive the consumer that read them.
 * The retrainer creates its own durable (its login may, by that name only).
 */
export async function ensureObservationsStream(jsm: JetStreamManager): Promise<void> {
  const config: Partial<StreamConfig> = {
    subjects: [PREDICTIONS_SUBJECTS, ACTUALS_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(OBSERVATIONS_MAX_AGE_MS),
    max_bytes: OBSERVATIONS_MAX_BYTES,
    duplicate_window: nanos(2 * 60 * 1000),
  };
  await upsertStream(jsm, OBSERVATIONS_STREAM, config, false);
}
