import { DynamicModule, Module } from '@nestjs/common';
import { ServiceCoreModule } from '@iotwins/service';
import type { TimeseriesConfig } from './app.config';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { DeadLettersRepository } from './dead-letters/dead-letters.repository';
import { DeadLettersService } from './dead-letters/dead-letters.service';
import { FieldKeysRepository } from './field-types/field-keys.repository';
import { FieldTypesSeeder } from './field-types/field-types.seeder';
import { InfluxReadiness } from './influx/influx.client';
import { InfluxModule } from './influx/influx.module';
import { QueryController } from './query/query.controller';
import { QueryService } from './query/query.service';
import { TenantQuerySlots } from './query/tenant-query-slots';
import { RequestBodyParsers } from './body/request-body.parsers';
import { InfluxQueryController } from './influx-compat/influx-query.controller';
import { InfluxQueryService } from './influx-compat/influx-query.service';
import { TenantReaders } from './tenants/tenant-readers.repository';
import { RetentionController } from './tenants/retention.controller';
import { TenantDatabases } from './tenants/tenant-databases';
import { InfluxOutage } from './writer/influx-outage';
import { TelemetryWriter } from './writer/telemetry.writer';
import { WriterMetrics } from './writer/writer.metrics';

export const APP_NAME = 'timeseries';

@Module({})
export class TimeseriesModule {
  static forRoot(config: TimeseriesConfig): DynamicModule {
    return {
      module: TimeseriesModule,
      imports: [
        InfluxModule.forRoot({
          url: config.INFLUX_URL,
          user: config.INFLUX_USER,
          password: config.INFLUX_PASSWORD,
        }),
        ServiceCoreModule.forRoot({
          appName: APP_NAME,
          config,
          readinessChecks: [InfluxReadiness],
        }),
      ],
      controllers: [
        QueryController,
        RetentionController,
        DeadLettersController,
        InfluxQueryController,
      ],
      providers: [
        TenantDatabases,
        WriterMetrics,
        InfluxOutage,
        TelemetryWriter,
        QueryService,
        DeadLettersRepository,
        DeadLettersService,
        FieldKeysRepository,
        FieldTypesSeeder,
        TenantQuerySlots,
        TenantReaders,
        InfluxQueryService,
        RequestBodyParsers,
      ],
    };
  }
}
