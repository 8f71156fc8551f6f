import { nanos } from '@nats-io/nats-core';
import {
  AckPolicy,
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

/** Operator step (provisionNats): the stream and the retrainer's durable consumer. */
export async function ensureObservationsStream(jsm: JetStreamManager): Promise<void> {
  const config: Partial<StreamConfig> = {
    subjects: [...OBSERVATIONS_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(OBSERVATIONS_MAX_AGE_MS),
    duplicate_window: nanos(10 * 60 * 1000),
  };
  await upsertStream(jsm, OBSERVATIONS_STREAM, config, false);
  await addDurableIfMissing(jsm, OBSERVATIONS_STREAM, RETRAINER_OBSERVATIONS_CONSUMER);
}

/**
 * Creates a durable pull consumer with explicit acks unless one of that name exists; an
 * existing one is left as its owner configured it (its service may update it by name).
 */
export async function addDurableIfMissing(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  ackWaitMs = 30_000,
): Promise<void> {
  try {
    await jsm.consumers.info(stream, durable);
  } catch (error) {
    if (!/not found/i.test((error as Error).message ?? '')) throw error;
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ackWaitMs),
    });
  }
}
