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

export interface ObservationsStreamOptions {
  maxBytes: number;
  maxAgeMs: number;
  replicas: number;
}

/**
 * Creates or updates the OBSERVATIONS stream. Limits retention (not interest): the retrainer
 * keeps its own position in PostgreSQL and re-creates its durable from there after a crash,
 * so messages must outlive the consumer that read them. Until the nats branch moves stream
 * creation to an operator step, the retrainer calls this at start.
 */
export async function ensureObservationsStream(
  jsm: JetStreamManager,
  options: ObservationsStreamOptions,
): Promise<void> {
  const config: Partial<StreamConfig> = {
    subjects: [PREDICTIONS_SUBJECTS, ACTUALS_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_bytes: options.maxBytes,
    max_age: nanos(options.maxAgeMs),
    duplicate_window: nanos(2 * 60 * 1000),
    num_replicas: options.replicas,
  };
  await upsertStream(jsm, OBSERVATIONS_STREAM, config, true);
}
