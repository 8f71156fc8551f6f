import { DynamicModule, Module } from '@nestjs/common';
import { MonitorDatabase, POSTGRES_URL, PostgresReadiness } from './postgres.client';

@Module({})
export class DatabaseModule {
  static forRoot(postgresUrl: string): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        { provide: POSTGRES_URL, useValue: postgresUrl },
        MonitorDatabase,
        PostgresReadiness,
      ],
      exports: [MonitorDatabase, PostgresReadiness],
    };
  }
}
