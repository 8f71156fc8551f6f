import { nanos } from '@nats-io/nats-core';
import {
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { upsertStream } from './stream.upsert';

/**
 * Every platform event (events.<tenant>.<app>.<entity>.<action>) is kept in one stream, so a
 * subscriber that was away can replay what it missed. Renaming it needs a migration.
 */
export const EVENTS_STREAM = 'EVENTS';
export const EVENTS_SUBJECTS = 'events.>';

/** How long events are kept, and the window in which a republished event id is stored once. */
const EVENTS_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const EVENTS_DUPLICATE_WINDOW_MS = 10 * 60 * 1000;

/**
 * Creates the EVENTS stream if it does not exist. `replicas` is 3 on a NATS cluster; an
 * existing stream keeps its settings (a replica change is an operator's step).
 */
export async function ensureEventsStream(jsm: JetStreamManager, replicas = 1): Promise<void> {
  const config: Partial<StreamConfig> = {
    num_replicas: replicas,
    subjects: [EVENTS_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(EVENTS_MAX_AGE_MS),
    duplicate_window: nanos(EVENTS_DUPLICATE_WINDOW_MS),
  };
  await upsertStream(jsm, EVENTS_STREAM, config, false);
}
