import { DynamicModule, Module } from '@nestjs/common';
import { MONGO_URL, ModelMetadataStore, MongoReadiness } from './mongo.client';

@Module({})
export class MetadataModule {
  static forRoot(mongoUrl: string): DynamicModule {
    return {
      module: MetadataModule,
      global: true,
      providers: [{ provide: MONGO_URL, useValue: mongoUrl }, ModelMetadataStore, MongoReadiness],
      exports: [ModelMetadataStore, MongoReadiness],
    };
  }
}
