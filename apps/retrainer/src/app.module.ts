import { DynamicModule, Module } from '@nestjs/common';
import { ServiceCoreModule } from '@iotwins/service';
import { ACTION_EXECUTOR_OPTIONS, ActionExecutor } from './actions/action.executor';
import { ActionsRepository } from './actions/actions.repository';
import { WEBHOOK_OPTIONS, WebhookSender } from './actions/webhook.sender';
import type { RetrainerConfig } from './app.config';
import { APP_NAME } from './app.name';
import { DashboardReaders } from './dashboard/dashboard-readers';
import { DashboardReadersRepository } from './dashboard/dashboard-readers.repository';
import { DatabaseModule } from './database/database.module';
import { PostgresReadiness } from './database/postgres.client';
import { ALIAS_REFRESH_OPTIONS, AliasRefresher } from './evaluation/alias.refresher';
import { ENGINE_OPTIONS, EvaluationEngine } from './evaluation/evaluation.engine';
import { EvaluationStateRepository } from './evaluation/evaluation-state.repository';
import { MonitorsController } from './monitors/monitors.controller';
import { MonitorsRepository } from './monitors/monitors.repository';
import { MonitorsService } from './monitors/monitors.service';
import { ObservationsController } from './observations/observations.controller';
import {
  OBSERVATIONS_CONSUMER_OPTIONS,
  ObservationsConsumer,
} from './observations/observations.consumer';
import { ObservationsMetrics } from './observations/observations.metrics';
import { ObservationsPublisher } from './observations/observations.publisher';
import { MODEL_REGISTRY_OPTIONS, ModelRegistryClient } from './registry/model-registry.client';

export { APP_NAME };

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
      controllers: [MonitorsController, ObservationsController],
      providers: [
        {
          provide: MODEL_REGISTRY_OPTIONS,
          useValue: {
            url: config.NATS_URL,
            user: config.NATS_USER,
            password: config.NATS_PASSWORD,
            subjectPrefix: config.MODEL_REGISTRY_SUBJECT_PREFIX,
            timeoutMs: config.MODEL_REGISTRY_TIMEOUT_MS,
          },
        },
        {
          provide: ENGINE_OPTIONS,
          useValue: {
            pairingTtlMs: config.PAIRING_TTL_SECONDS * 1000,
            duplicateWindowMs: config.PAIRING_DUPLICATE_WINDOW_SECONDS * 1000,
            duplicateMaxKeys: config.PAIRING_DUPLICATE_MAX_KEYS,
          },
        },
        { provide: ALIAS_REFRESH_OPTIONS, useValue: { intervalMs: config.ALIAS_REFRESH_MS } },
        { provide: WEBHOOK_OPTIONS, useValue: { timeoutMs: config.WEBHOOK_TIMEOUT_MS } },
        {
          provide: ACTION_EXECUTOR_OPTIONS,
          useValue: {
            maxAttempts: config.ACTION_MAX_ATTEMPTS,
            retryBaseMs: config.ACTION_RETRY_BASE_MS,
            leaseSeconds: config.ACTION_LEASE_SECONDS,
          },
        },
        {
          provide: OBSERVATIONS_CONSUMER_OPTIONS,
          useValue: {
            consumer: config.OBSERVATIONS_CONSUMER,
            batchMessages: config.OBSERVATIONS_BATCH_MESSAGES,
            flushMs: config.OBSERVATIONS_FLUSH_MS,
            sweepMs: config.PAIRING_SWEEP_MS,
          },
        },
        ModelRegistryClient,
        EvaluationEngine,
        EvaluationStateRepository,
        AliasRefresher,
        ActionsRepository,
        WebhookSender,
        ActionExecutor,
        ObservationsMetrics,
        ObservationsPublisher,
        ObservationsConsumer,
        MonitorsRepository,
        MonitorsService,
        DashboardReadersRepository,
        DashboardReaders,
      ],
    };
  }
}
