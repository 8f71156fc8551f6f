import { Injectable } from '@nestjs/common';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { eventEnvelopeSchema, type EventEnvelope } from './event-envelope';
import { EVENTS_STREAM } from './events.stream';
import { requireStreams } from './stream.require';
import { NatsClient } from './nats.connection';

/**
 * Publishes platform events to JetStream. The envelope id is the message id, so publishing
 * the same event twice (a retry, a redelivered source message) stores it once.
 */
@Injectable()
export class EventPublisher {
  private js: JetStreamClient | undefined;
  private ready: Promise<void> | undefined;

  constructor(private readonly nats: NatsClient) {}

  async publish<T>(subject: string, event: EventEnvelope<T>): Promise<void> {
    eventEnvelopeSchema.parse(event);
    const js = await this.client();
    await js.publish(subject, JSON.stringify(event), { msgID: event.id });
  }

  private async client(): Promise<JetStreamClient> {
    this.ready ??= jetstreamManager(this.nats.nc).then((jsm) => requireStreams(jsm, EVENTS_STREAM));
    try {
      await this.ready;
    } catch (error) {
      this.ready = undefined;
      throw error;
    }
    this.js ??= jetstream(this.nats.nc);
    return this.js;
  }
}
