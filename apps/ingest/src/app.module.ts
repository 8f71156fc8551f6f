import { DynamicModule, Module } from '@nestjs/common';
import { ServiceCoreModule } from '@iotwins/service';
import type { IngestConfig } from './app.config';
import { RequestBodyParsers } from './body/request-body.parsers';
import { InfluxPingController } from './influx-compat/influx-ping.controller';
import { InfluxWriteController } from './influx-compat/influx-write.controller';
import { ConnectorRunner } from './connectors/connector.runner';
import { MappingSandbox } from './connectors/sandbox/mapping-sandbox';
import { ConnectorsController } from './connectors/connectors.controller';
import { ConnectorsRepository } from './connectors/connectors.repository';
import { ConnectorsService } from './connectors/connectors.service';
import { GrpcIngestServer } from './grpc/grpc-ingest.server';
import { MqttServer } from './mqtt-server/mqtt.server';
import { MqttBridge, MqttReadiness } from './mqtt/mqtt.bridge';
import { NatsAuthCallout } from './nats/auth-callout.service';
import { IngestRequestResponder } from './nats/ingest-request.responder';
import { PointsController } from './points/points.controller';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { RedisReadiness } from './rate-limit/redis.client';
import { IngestService } from './telemetry/ingest.service';
import { TelemetryPublisher } from './telemetry/telemetry.publisher';
import { IngestMetrics } from './telemetry/ingest.metrics';
import { RequestClock } from './telemetry/request.clock';
import { FieldTypeRegistry } from './field-types/field-type.registry';
import { FieldTypesRepository } from './field-types/field-types.repository';

export const APP_NAME = 'ingest';

@Module({})
export class IngestModule {
  static forRoot(config: IngestConfig): DynamicModule {
    return {
      module: IngestModule,
      imports: [
        RateLimitModule.forRoot(config.REDIS_URL),
        ServiceCoreModule.forRoot({
          appName: APP_NAME,
          config,
          readinessChecks: [RedisReadiness, MqttReadiness],
          providers: [
            IngestMetrics,
            TelemetryPublisher,
            FieldTypesRepository,
            FieldTypeRegistry,
            RequestClock,
            IngestService,
            MqttBridge,
            MqttReadiness,
            ConnectorsRepository,
            ConnectorsService,
            MappingSandbox,
            ConnectorRunner,
          ],
        }),
      ],
      controllers: [
        ConnectorsController,
        PointsController,
        InfluxWriteController,
        InfluxPingController,
      ],
      providers: [
        RequestBodyParsers,
        GrpcIngestServer,
        MqttServer,
        IngestRequestResponder,
        NatsAuthCallout,
      ],
    };
  }
}
