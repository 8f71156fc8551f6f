import { DynamicModule, Module } from '@nestjs/common';
import { EventPublisher } from './event.publisher';
import { NATS_OPTIONS, NatsClient, NatsOptions, NatsReadiness } from './nats.connection';

@Module({})
export class MessagingModule {
  static forRoot(options: NatsOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: NATS_OPTIONS, useValue: options },
        {
          provide: NatsClient,
          // Connecting in the factory means the app does not start until NATS answers once.
          useFactory: async (natsOptions: NatsOptions) => {
            const client = new NatsClient(natsOptions);
            await client.connect();
            return client;
          },
          inject: [NATS_OPTIONS],
        },
        NatsReadiness,
        EventPublisher,
      ],
      exports: [NatsClient, NatsReadiness, EventPublisher],
    };
  }
}
