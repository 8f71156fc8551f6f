import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { AuthModule } from '@iotwins/auth';
import { AppConfigModule, type BaseEnv } from '@iotwins/config';
import { OutboundPolicy } from '@iotwins/http';
import { MessagingModule, NatsReadiness } from '@iotwins/messaging';
import {
  HealthModule,
  LoggingModule,
  MetricsModule,
  type ReadinessCheck,
} from '@iotwins/observability';

export interface ServiceCoreOptions {
  appName: string;
  config: BaseEnv;
  /** Readiness checks of the app's own stores; NATS is always checked. */
  readinessChecks?: Type<ReadinessCheck>[];
  /**
   * App providers made visible app-wide, for readiness checks that live in the app (the
   * health module can only inject what is global or exported to it).
   */
  providers?: Type<unknown>[];
}

@Module({})
class AppProvidersModule {
  static forRoot(providers: Provider[]): DynamicModule {
    return { module: AppProvidersModule, global: true, providers, exports: providers };
  }
}

/**
 * What every service has: validated config, JSON logs, metrics, Keycloak auth on every
 * route, the NATS connection and health endpoints.
 */
@Module({})
export class ServiceCoreModule {
  static forRoot(options: ServiceCoreOptions): DynamicModule {
    const { appName, config } = options;
    return {
      module: ServiceCoreModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggingModule.forRoot({ appName, level: config.LOG_LEVEL }),
        MetricsModule.forRoot(appName, config.METRICS_TOKEN),
        AuthModule.forRoot({
          issuer: config.AUTH_ISSUER,
          audience: config.AUTH_AUDIENCE,
          discoveryUrl: config.AUTH_DISCOVERY_URL,
        }),
        MessagingModule.forRoot({
          url: config.NATS_URL,
          user: config.NATS_USER,
          password: config.NATS_PASSWORD,
          credsFile: config.NATS_CREDS_FILE,
          name: appName,
        }),
        AppProvidersModule.forRoot([
          ...(options.providers ?? []),
          // Where URLs chosen by tenants may lead (connectors, webhooks): one policy per app.
          { provide: OutboundPolicy, useValue: new OutboundPolicy(config.OUTBOUND_ALLOWED_CIDRS) },
        ]),
        HealthModule.forRoot({
          checks: [NatsReadiness, ...(options.readinessChecks ?? [])],
          timeoutMs: config.READINESS_TIMEOUT_MS,
        }),
      ],
    };
  }
}
