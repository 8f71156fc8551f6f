import { nanos } from '@nats-io/nats-core';
import {
  AckPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import {
  DEAD_LETTER_STREAM,
  DEAD_LETTER_SUBJECTS,
  TELEMETRY_STREAM,
  TELEMETRY_SUBJECTS,
  TIMESERIES_WRITER_CONSUMER,
} from './telemetry.subjects';
import { upsertStream } from './stream.upsert';

export interface TelemetryStreamOptions {
  /** When the stream holds this many bytes not yet written to InfluxDB, publishes are refused. */
  maxBytes: number;
  maxAgeMs: number;
  /** Window in which a repeated message id (Idempotency-Key) is stored once. */
  duplicateWindowMs: number;
  replicas: number;
}

/**
 * How long the timeseries writer may hold a message without a sign of work before JetStream
 * redelivers it. Short, because a message JetStream delivered while a NATS connection broke
 * never reaches the writer and waits this long; the writer marks every message it holds as
 * in work (+WPI) at a third of this, so slow writes and outages do not cause redeliveries.
 */
export const TIMESERIES_WRITER_ACK_WAIT_MS = 6_000;

/**
 * Operator step (provisionNats): creates or updates the TELEMETRY stream and the durable
 * consumer of the timeseries writers. With interest retention a message is kept until that
 * consumer acknowledges it, so the consumer must exist before the first publish.
 * Discard "new" makes a full stream refuse publishes (ingest answers 503) instead of dropping
 * data nobody has written yet.
 */
export async function ensureTelemetryStream(
  jsm: JetStreamManager,
  options: TelemetryStreamOptions,
): Promise<void> {
  const config: Partial<StreamConfig> = {
    subjects: [TELEMETRY_SUBJECTS],
    retention: RetentionPolicy.Interest,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    max_bytes: options.maxBytes,
    max_age: nanos(options.maxAgeMs),
    duplicate_window: nanos(options.duplicateWindowMs),
    num_replicas: options.replicas,
  };
  await upsertStream(jsm, TELEMETRY_STREAM, config, true);
  const writer = {
    ack_wait: nanos(TIMESERIES_WRITER_ACK_WAIT_MS),
    max_ack_pending: 20_000,
    filter_subject: TELEMETRY_SUBJECTS,
  };
  try {
    await jsm.consumers.add(TELEMETRY_STREAM, {
      durable_name: TIMESERIES_WRITER_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      ...writer,
    });
  } catch (error) {
    // nats-server 2.10+ refuses to create over a durable with other settings: bring it up
    // to these (an upgrade that changed the ack wait, say).
    if (!/already exists/i.test((error as Error).message)) throw error;
    await jsm.consumers.update(TELEMETRY_STREAM, TIMESERIES_WRITER_CONSUMER, writer);
  }
}

/**
 * The DEADLETTER stream keeps what could not be delivered (deadletter.>) for 30 days, so an
 * operator can inspect, fix and replay it.
 */
export async function ensureDeadLetterStream(jsm: JetStreamManager): Promise<void> {
  const config: Partial<StreamConfig> = {
    subjects: [DEAD_LETTER_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(30 * 24 * 3600 * 1000),
  };
  await upsertStream(jsm, DEAD_LETTER_STREAM, config, false);
}
