import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { FieldTypesBucket, NatsClient, type FieldTypesMerge } from '@iotwins/messaging';
import type { StoredFieldType } from '@iotwins/telemetry';
import type { IngestConfig } from '../app.config';

/** The only place ingest talks to the field-type bucket (NATS KV). */
@Injectable()
export class FieldTypesRepository implements OnModuleInit {
  private bucket!: FieldTypesBucket;

  constructor(
    private readonly nats: NatsClient,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.bucket = await FieldTypesBucket.open(this.nats.nc, this.config.TELEMETRY_STREAM_REPLICAS);
  }

  /** Registers fields unless they are stored with another type; answers what is stored. */
  register(
    tenant: string,
    measurement: string,
    fields: Record<string, StoredFieldType>,
  ): Promise<FieldTypesMerge> {
    return this.bucket.merge(tenant, measurement, fields);
  }
}
