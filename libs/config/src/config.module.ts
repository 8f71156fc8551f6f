import { DynamicModule, Module } from '@nestjs/common';

/** Injection token of the validated configuration of the running app. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/**
 * Makes an already validated configuration injectable. Validation happens in main.ts,
 * before Nest starts, so a bad variable never reaches a half-built app.
 */
@Module({})
export class AppConfigModule {
  static forRoot<T extends object>(config: T): DynamicModule {
    return {
      module: AppConfigModule,
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
