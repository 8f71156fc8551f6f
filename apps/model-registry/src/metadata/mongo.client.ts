import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { MongoClient } from 'mongodb';
import type { ReadinessCheck } from '@iotwins/observability';

export const MONGO_URL = Symbol('MONGO_URL');

/** The MongoDB-wire connection (MongoDB, or FerretDB locally) holding model metadata. */
@Injectable()
export class ModelMetadataStore implements OnApplicationShutdown {
  readonly client: MongoClient;

  constructor(@Inject(MONGO_URL) url: string) {
    // The driver connects lazily and reselects a server after an outage on its own.
    this.client = new MongoClient(url, {
      serverSelectionTimeoutMS: 5_000,
      appName: 'model-registry',
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

@Injectable()
export class MongoReadiness implements ReadinessCheck {
  readonly name = 'mongodb';

  constructor(private readonly store: ModelMetadataStore) {}

  async probe(): Promise<void> {
    await this.store.client.db().command({ ping: 1 });
  }
}
