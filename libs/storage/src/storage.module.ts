import { DynamicModule, Module } from '@nestjs/common';
import { S3Options, S3Readiness, S3Storage, S3_OPTIONS } from './s3.client';

@Module({})
export class StorageModule {
  static forRoot(options: S3Options): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      providers: [{ provide: S3_OPTIONS, useValue: options }, S3Storage, S3Readiness],
      exports: [S3Storage, S3Readiness],
    };
  }
}
