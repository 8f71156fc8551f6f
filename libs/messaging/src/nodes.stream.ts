import { nanos } from '@nats-io/nats-core';
import {
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { NODES_STREAM, NODES_SUBJECTS } from './nodes.subjects';
import { upsertStream } from './stream.upsert';

/** Heartbeats are only worth their latest value: a day of them is more than enough. */
const NODES_MAX_AGE_MS = 24 * 3600 * 1000;

/**
 * Operator step (provisionNats): the stream of edge-node heartbeats and rollout status. The
 * model registry creates its own durable (its login may, by that name only), so the
 * consumer's settings live with the code using it.
 */
export async function ensureNodesStream(jsm: JetStreamManager): Promise<void> {
  const config: Partial<StreamConfig> = {
    subjects: [...NODES_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(NODES_MAX_AGE_MS),
  };
  await upsertStream(jsm, NODES_STREAM, config, false);
}
