import { Injectable, OnModuleInit } from '@nestjs/common';
import { FieldTypesBucket, NatsClient, type FieldTypesMerge } from '@iotwins/messaging';
import type { StoredFieldType } from '@iotwins/telemetry';

/** The only place ingest talks to the field-type bucket (NATS KV). */
@Injectable()
export class FieldTypesRepository implements OnModuleInit {
  private bucket!: FieldTypesBucket;

  constructor(private readonly nats: NatsClient) {}

  async onModuleInit(): Promise<void> {
    this.bucket = await FieldTypesBucket.open(this.nats.nc);
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
