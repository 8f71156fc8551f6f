import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { APP_CONFIG } from '@iotwins/config';
import {
  EventPublisher,
  NatsClient,
  S3_NOTIFICATIONS_RELAY_CONSUMER,
  S3_NOTIFICATIONS_STREAM,
  consumeUntilStopped,
  createEvent,
  objectstoreEventSubject,
  requireStreams,
  type ConsumeLoop,
} from '@iotwins/messaging';
import type { ObjectstoreConfig } from '../app.config';
import { APP_NAME } from '../app.name';
import { BucketRegistry } from '../buckets/bucket.registry';
import { s3NotificationSchema, translateRecord } from './s3-notification';

const RETRY_DELAY_MS = 2_000;
/** About ten minutes of retries (a NATS or EVENTS outage) before a notification is given up. */
const MAX_RELAY_DELIVERIES = 300;

/**
 * Every object change reaches S3 either through this API or through a presigned URL; MinIO
 * reports both to a JetStream stream (its NATS target, with a queue directory for when NATS
 * is away). The relay turns each into a platform event of the bucket's tenant and only then
 * acknowledges, so an event is published at least once and, thanks to its deterministic id,
 * stored once.
 */
@Injectable()
export class S3EventRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(S3EventRelay.name);
  private loop: ConsumeLoop | undefined;

  constructor(
    private readonly nats: NatsClient,
    private readonly registry: BucketRegistry,
    private readonly events: EventPublisher,
    @Inject(APP_CONFIG) private readonly config: ObjectstoreConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const jsm = await jetstreamManager(this.nats.nc);
    // The operator's provisioning step made the stream and the durable; this login may not.
    await requireStreams(jsm, S3_NOTIFICATIONS_STREAM);
    if (!this.config.OBJECTSTORE_EVENT_RELAY_ENABLED) return;
    const consumer = await jetstream(this.nats.nc).consumers.get(
      S3_NOTIFICATIONS_STREAM,
      S3_NOTIFICATIONS_RELAY_CONSUMER,
    );
    this.loop = consumeUntilStopped(
      consumer,
      {
        maxMessages: 256,
        retryDelayMs: RETRY_DELAY_MS,
        logger: this.logger,
        what: 'S3 notification consumer',
      },
      (message) => this.relay(message),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  private async relay(message: JsMsg): Promise<void> {
    let records;
    try {
      records = s3NotificationSchema.parse(message.json()).Records;
    } catch (error) {
      // Not an S3 notification: retrying cannot fix it.
      this.logger.error(
        { err: (error as Error).message, seq: message.seq },
        'unreadable S3 notification dropped',
      );
      message.term();
      return;
    }
    let events;
    try {
      events = records.map(translateRecord);
    } catch (error) {
      // A record that cannot be read (a key S3 encoded in a way it cannot be decoded): no
      // retry can fix it, and it must not come back every two seconds for good.
      this.logger.error(
        { err: (error as Error).message, seq: message.seq, size: message.data.length },
        'untranslatable S3 notification dropped',
      );
      message.term();
      return;
    }
    try {
      for (const event of events) {
        if (!event) continue;
        const bucket = await this.registry.find(event.physicalBucket);
        if (!bucket) continue; // a bucket this app did not make
        const { tenant, name } = bucket.record;
        await this.events.publish(
          objectstoreEventSubject(tenant, event.type),
          createEvent({
            id: event.id,
            type: event.type,
            source: APP_NAME,
            tenant,
            data: { bucket: name, ...event.data },
          }),
        );
      }
      message.ack();
    } catch (error) {
      if (message.info.deliveryCount >= MAX_RELAY_DELIVERIES) {
        // Bounded: a notification that fails this long is given up, loudly, not kept forever.
        this.logger.error(
          { err: (error as Error).message, seq: message.seq, deliveries: MAX_RELAY_DELIVERIES },
          'S3 notification given up',
        );
        message.term();
        return;
      }
      this.logger.warn(
        { err: (error as Error).message, seq: message.seq },
        'S3 notification not relayed yet',
      );
      message.nak(RETRY_DELAY_MS);
    }
  }
}
