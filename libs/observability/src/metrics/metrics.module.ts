import { DynamicModule, Module } from '@nestjs/common';
import { METRICS_TOKEN, MetricsController } from './metrics.controller';
import { MetricsRegistry } from './metrics.registry';

@Module({})
export class MetricsModule {
  static forRoot(appName: string, token?: string): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [
        { provide: MetricsRegistry, useValue: new MetricsRegistry(appName) },
        { provide: METRICS_TOKEN, useValue: token },
      ],
      exports: [MetricsRegistry],
    };
  }
}
