import { nanos } from '@nats-io/nats-core';
import {
  AckPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { MODEL_REGISTRY_NODES_CONSUMER, NODES_STREAM, NODES_SUBJECTS } from './nodes.subjects';
import { upsertStream } from './stream.upsert';

/** Heartbeats are only worth their latest value: a day of them is more than enough. */
const NODES_MAX_AGE_MS = 24 * 3600 * 1000;

/**
 * Creates the NODES stream (heartbeats and rollout status of edge nodes) and the registry's
 * durable consumer. The registry calls it at start until stream creation becomes an
 * operator step.
 */
export async function ensureNodesStream(jsm: JetStreamManager): Promise<void> {
  const config: Partial<StreamConfig> = {
    subjects: [...NODES_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(NODES_MAX_AGE_MS),
  };
  await upsertStream(jsm, NODES_STREAM, config, false);
  await jsm.consumers.add(NODES_STREAM, {
    durable_name: MODEL_REGISTRY_NODES_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(30_000),
  });
}
