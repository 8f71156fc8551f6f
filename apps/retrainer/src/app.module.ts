import { DynamicModule, Module } from '@nestjs/common';
import { ServiceCoreModule } from '@iotwins/service';
import type { RetrainerConfig } from './app.config';
import { DatabaseModule } from './database/database.module';
import { PostgresReadiness } from './database/postgres.client';

export const APP_NAME = 'retrainer';

@Module({})
export class RetrainerModule {
  static forRoot(config: RetrainerConfig): DynamicModule {
    return {
      module: RetrainerModule,
      imports: [
        DatabaseModule.forRoot(config.POSTGRES_URL),
        ServiceCoreModule.forRoot({
          appName: APP_NAME,
          config,
          readinessChecks: [PostgresReadiness],
        }),
      ],
    };
  }
}
