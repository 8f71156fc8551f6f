import { Injectable } from '@nestjs/common';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import {
  NatsClient,
  observationSubject,
  type Observation,
  type ObservationKind,
} from '@iotwins/messaging';

/** Observations per message when a REST batch is put on the stream. */
const CHUNK = 1_000;

/**
 * Puts observations that came over REST on the OBSERVATIONS stream, so they take the same
 * path as those edge nodes publish; resolved once JetStream has stored every message.
 */
@Injectable()
export class ObservationsPublisher {
  private js: JetStreamClient | undefined;

  constructor(private readonly nats: NatsClient) {}

  async publish(
    tenant: string,
    model: string,
    kind: ObservationKind,
    observations: Observation[],
  ): Promise<void> {
    this.js ??= jetstream(this.nats.nc);
    const subject = observationSubject(kind, tenant, model);
    const stored: Promise<unknown>[] = [];
    for (let i = 0; i < observations.length; i += CHUNK)
      stored.push(this.js.publish(subject, JSON.stringify(observations.slice(i, i + CHUNK))));
    await Promise.all(stored);
  }
}
