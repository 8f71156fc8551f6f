import { DynamicModule, Module } from '@nestjs/common';
import { StreamedOrJsonBodyParsers } from '@iotwins/http';
import { ServiceCoreModule } from '@iotwins/service';
import { S3Readiness, StorageModule } from '@iotwins/storage';
import type { ObjectstoreConfig } from './app.config';
import { APP_NAME } from './app.name';
import { BucketRegistry } from './buckets/bucket.registry';
import { BucketStorage } from './buckets/bucket.storage';
import { BucketsController } from './buckets/buckets.controller';
import { BucketsService } from './buckets/buckets.service';
import { S3EventRelay } from './events/s3-event.relay';
import { ObjectStore } from './objects/object.store';
import { ObjectsController } from './objects/objects.controller';
import { ObjectsService } from './objects/objects.service';
import { PresignController } from './presign/presign.controller';
import { PresignService } from './presign/presign.service';
import { UrlSigner } from './presign/url.signer';
import { PublicObjectsController } from './public/public-objects.controller';

export { APP_NAME };

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
      controllers: [
        BucketsController,
        ObjectsController,
        PresignController,
        PublicObjectsController,
      ],
      providers: [
        // Uploads are streamed by their handlers; every other route takes JSON.
        StreamedOrJsonBodyParsers(['/v1/buckets/:bucket/objects/*']),
        BucketRegistry,
        BucketStorage,
        BucketsService,
        ObjectStore,
        ObjectsService,
        UrlSigner,
        PresignService,
        S3EventRelay,
      ],
    };
  }
}
