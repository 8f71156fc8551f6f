import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { READINESS_CHECKS, READINESS_TIMEOUT_MS, ReadinessCheck } from './readiness-check';

export interface HealthOptions {
  /** Providers (already registered elsewhere in the app) that probe each dependency. */
  checks: Type<ReadinessCheck>[];
  /** Modules that export those providers. */
  imports?: DynamicModule['imports'];
  timeoutMs: number;
}

@Module({})
export class HealthModule {
  static forRoot(options: HealthOptions): DynamicModule {
    const checksProvider: Provider = {
      provide: READINESS_CHECKS,
      useFactory: (...checks: ReadinessCheck[]) => checks,
      inject: options.checks,
    };
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), ...(options.imports ?? [])],
      controllers: [HealthController],
      providers: [checksProvider, { provide: READINESS_TIMEOUT_MS, useValue: options.timeoutMs }],
    };
  }
}
