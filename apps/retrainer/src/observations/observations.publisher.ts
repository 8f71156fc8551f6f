import { Injectable } from '@nestjs/common';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import {
  maxPayloadOf,
  NatsClient,
  observationSubject,
  type Observation,
  type ObservationKind,
} from '@iotwins/messaging';

/** Observations per message when a REST batch is put on the stream. */
const CHUNK = 1_000;
/** Room for the protocol's framing of a JetStream publish (subject, reply inbox, sizes). */
const FRAMING_BYTES = 1024;

/** A message of the batch would exceed what NATS takes in one message. */
export class ObservationsTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`a message of ${bytes} bytes exceeds the ${limit}-byte limit of NATS`);
  }
}

/**
 * Puts observations that came over REST on the OBSERVATIONS stream, so they take the same
 * path as those edge nodes publish; resolved once JetStream has stored every message.
 */
const encoder = new TextEncoder();

@Injectable()
export class ObservationsPublisher {
  private js: JetStreamClient | undefined;

  constructor(private readonly nats: NatsClient) {}

  /**
   * Puts a batch on the stream: every message is encoded and checked against the NATS limit
   * first, so a batch refused as too large has stored nothing.
   */
  async publish(
    tenant: string,
    model: string,
    batch: Record<ObservationKind, Observation[]>,
  ): Promise<void> {
    this.js ??= jetstream(this.nats.nc);
    // Checked before anything is published: the body as re-encoded here can be larger than
    // what came in (1e21 comes back as 1e+21), and a message NATS refuses would be refused
    // at every retry.
    const limit = maxPayloadOf(this.nats.nc) - FRAMING_BYTES;
    const messages: { subject: string; body: Uint8Array }[] = [];
    for (const kind of ['prediction', 'actual'] as const) {
      const observations = batch[kind];
      const subject = observationSubject(kind, tenant, model);
      for (let i = 0; i < observations.length; i += CHUNK) {
        const body = encoder.encode(JSON.stringify(observations.slice(i, i + CHUNK)));
        if (body.length + Buffer.byteLength(subject) > limit)
          throw new ObservationsTooLargeError(body.length, limit);
        messages.push({ subject, body });
      }
    }
    await Promise.all(messages.map(({ subject, body }) => this.js!.publish(subject, body)));
  }
}
