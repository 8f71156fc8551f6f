import { DynamicModule, Module } from '@nestjs/common';
import { INFLUX_OPTIONS, InfluxClient, InfluxOptions, InfluxReadiness } from './influx.client';

@Module({})
export class InfluxModule {
  static forRoot(options: InfluxOptions): DynamicModule {
    return {
      module: InfluxModule,
      global: true,
      providers: [{ provide: INFLUX_OPTIONS, useValue: options }, InfluxClient, InfluxReadiness],
      exports: [InfluxClient, InfluxReadiness],
    };
  }
}
