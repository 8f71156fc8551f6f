import { nanos } from '@nats-io/nats-core';
import { AckPolicy, type JetStreamManager } from '@nats-io/jetstream';

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
