import { Injectable } from '@nestjs/common';
import {
  createEvent,
  EventPublisher,
  modelsEventSubject,
  type ModelsEventType,
} from '@iotwins/messaging';
import { APP_NAME } from '../app.name';

/** Publishes the registry's events in the shared envelope on events.<tenant>.models.*. */
@Injectable()
export class ModelEvents {
  constructor(private readonly publisher: EventPublisher) {}

  async publish<T>(tenant: string, type: ModelsEventType, data: T): Promise<void> {
    await this.publisher.publish(
      modelsEventSubject(tenant, type),
      createEvent({ type, source: APP_NAME, tenant, data }),
    );
  }
}
