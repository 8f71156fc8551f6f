import { nanos } from '@nats-io/nats-core';
import {
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { upsertStream } from './stream.upsert';

/**
 * Edge-node heartbeats and rollout status (nodes.<tenant>.<node>.heartbeat|status), sent by
 * the nodes with their tenant's NATS identity, consumed by the model registry. Commands to a
 * node (nodes.<tenant>.<node>.cmd) are request-reply and not stored. The payload contracts
 * live in nodes.subjects.ts. Renaming needs a migration.
 */
export const NODES_STREAM = 'NODES';
export const NODES_SUBJECTS = ['nodes.*.*.heartbeat', 'nodes.*.*.status'] as const;
/** The durable consumer the model-registry replicas share. */
export const MODEL_REGISTRY_NODES_CONSUMER = 'model-registry-nodes';

const NODES_MAX_AGE_MS = 24 * 3600 * 1000;

/**
 * Operator step (provisionNats): the stream. The model registry creates and updates its own
 * durable (its login may, by that name only), so its settings live with the code using it.
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
