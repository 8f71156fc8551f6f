import { DynamicModule, Module } from '@nestjs/common';
import { ServiceCoreModule } from '@iotwins/service';
import { S3Readiness, StorageModule } from '@iotwins/storage';
import type { ModelRegistryConfig } from './app.config';
import { MetadataModule } from './metadata/metadata.module';
import { MongoReadiness } from './metadata/mongo.client';

export const APP_NAME = 'model-registry';

@Module({})
export class ModelRegistryModule {
  static forRoot(config: ModelRegistryConfig): DynamicModule {
    return {
      module: ModelRegistryModule,
      imports: [
        MetadataModule.forRoot(config.MONGO_URL),
        StorageModule.forRoot({
          endpoint: config.S3_ENDPOINT,
          accessKey: config.S3_ACCESS_KEY,
          secretKey: config.S3_SECRET_KEY,
        }),
        ServiceCoreModule.forRoot({
          appName: APP_NAME,
          config,
          readinessChecks: [MongoReadiness, S3Readiness],
        }),
      ],
    };
  }
}
