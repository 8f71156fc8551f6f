import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { FieldTypesBucket, NatsClient } from '@iotwins/messaging';
import type { TimeseriesConfig } from '../app.config';
import { FieldKeysRepository } from './field-keys.repository';

/**
 * Seeds the shared field-type registry (`telemetry_field_types`, which ingest checks every
 * write against) from what InfluxDB already stores, so fields written before the registry
 * existed, or by other means, are known too. It runs when timeseries starts and then every
 * TIMESERIES_FIELD_TYPES_SEED_SECONDS, off the writer's path. InfluxDB is the truth: its
 * type replaces a registered one that differs.
 */
@Injectable()
export class FieldTypesSeeder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(FieldTypesSeeder.name);
  private timer: NodeJS.Timeout | undefined;
  private bucket: FieldTypesBucket | undefined;

  constructor(
    private readonly fieldKeys: FieldKeysRepository,
    private readonly nats: NatsClient,
    @Inject(APP_CONFIG) private readonly config: TimeseriesConfig,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.TIMESERIES_FIELD_TYPES_SEED_SECONDS;
    if (seconds === 0) return;
    void this.seed();
    this.timer = setInterval(() => void this.seed(), seconds * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Copies every tenant's field types from InfluxDB into the registry; answers the count. */
  async seed(): Promise<number> {
    let fields = 0;
    try {
      this.bucket ??= await FieldTypesBucket.open(this.nats.nc);
      for (const tenant of await this.fieldKeys.tenants()) {
        for (const [measurement, types] of await this.fieldKeys.fieldTypes(tenant)) {
          await this.bucket.merge(tenant, measurement, types, true);
          fields += Object.keys(types).length;
        }
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'field types not seeded this time');
    }
    return fields;
  }
}
