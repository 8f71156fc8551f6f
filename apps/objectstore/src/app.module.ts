import { DynamicModule, Module } from '@nestjs/common';
import { ServiceCoreModule } from '@iotwins/service';
import { S3Readiness, StorageModule } from '@iotwins/storage';
import type { ObjectstoreConfig } from './app.config';

export const APP_NAME = 'objectstore';

@Module({})
export class ObjectstoreModule {
  static forRoot(config: ObjectstoreConfig): DynamicModule {
    return {
      module: ObjectstoreModule,
      imports: [
        StorageModule.forRoot({
          endpoint: config.S3_ENDPOINT,
          accessKey: config.S3_ACCESS_KEY,
          secretKey: config.S3_SECRET_KEY,
        }),
        ServiceCoreModule.forRoot({ appName: APP_NAME, config, readinessChecks: [S3Readiness] }),
      ],
    };
  }
}
