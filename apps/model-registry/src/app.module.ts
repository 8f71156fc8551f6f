import { DynamicModule, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { StreamedOrJsonBodyParsers } from '@iotwins/http';
import { ServiceCoreModule } from '@iotwins/service';
import { S3Readiness, StorageModule } from '@iotwins/storage';
import type { ModelRegistryConfig } from './app.config';
import { APP_NAME } from './app.name';
import { AliasesController } from './aliases/aliases.controller';
import { AliasesService } from './aliases/aliases.service';
import { BackingOutageInterceptor } from './common/backing-outage.interceptor';
import { StoreSafeInputInterceptor } from './common/store-safe-input.interceptor';
import { DeploymentsController } from './deployments/deployments.controller';
import { DeploymentsRepository } from './deployments/deployments.repository';
import { DeploymentsService } from './deployments/deployments.service';
import { ModelEvents } from './events/model.events';
import { MetadataModule } from './metadata/metadata.module';
import { MongoReadiness } from './metadata/mongo.client';
import { MlflowArtifactsController } from './mlflow/mlflow-artifacts.controller';
import { MlflowArtifactsRepository } from './mlflow/mlflow-artifacts.repository';
import { MlflowRegistryController } from './mlflow/mlflow-registry.controller';
import { MlflowService } from './mlflow/mlflow.service';
import { ModelsController } from './models/models.controller';
import { ModelsRepository } from './models/models.repository';
import { ModelsService } from './models/models.service';
import { NodeCommands } from './nodes/node.commands';
import { NodeMessageDrops } from './nodes/node-message.drops';
import { NodesConsumer } from './nodes/nodes.consumer';
import { NodesController } from './nodes/nodes.controller';
import { NodesRepository } from './nodes/nodes.repository';
import { NodesService } from './nodes/nodes.service';
import { RolloutService } from './nodes/rollout.service';
import { RegistryRpcController } from './rpc/registry.rpc.controller';
import { ArtifactsRepository } from './versions/artifacts.repository';
import { OrphanSweeper } from './versions/orphan.sweeper';
import { VersionsController } from './versions/versions.controller';
import { VersionsRepository } from './versions/versions.repository';
import { VersionsService } from './versions/versions.service';
import { WebhookDispatcher } from './webhooks/webhook.dispatcher';
import { WebhookSender } from './webhooks/webhook.sender';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksRepository } from './webhooks/webhooks.repository';
import { WebhooksService } from './webhooks/webhooks.service';

export { APP_NAME };

@Module({})
export class ModelRegistryModule {
  static forRoot(config: ModelRegistryConfig): DynamicModule {
    return {
      module: ModelRegistryModule,
      imports: [
        MetadataModule.forRoot(config.MONGO_URL),
        StorageModule.forRoot({
          endpoint: config.S3_ENDPOINT,
          accessKey: config.S3_ACCESS_KEY,
          secretKey: config.S3_SECRET_KEY,
        }),
        ServiceCoreModule.forRoot({
          appName: APP_NAME,
          config,
          readinessChecks: [MongoReadiness, S3Readiness],
        }),
      ],
      controllers: [
        ModelsController,
        VersionsController,
        AliasesController,
        DeploymentsController,
        NodesController,
        RegistryRpcController,
        MlflowRegistryController,
        MlflowArtifactsController,
        WebhooksController,
      ],
      providers: [
        { provide: APP_INTERCEPTOR, useClass: BackingOutageInterceptor },
        // Text the metadata store refuses (NUL, lone surrogates) is a 400 naming the field.
        { provide: APP_INTERCEPTOR, useClass: StoreSafeInputInterceptor },
        // Uploads are streamed by their handlers; every other route takes JSON.
        StreamedOrJsonBodyParsers([
          '/v1/models/:model/versions',
          '/api/2.0/mlflow-artifacts/artifacts/*',
        ]),
        ModelEvents,
        ModelsRepository,
        ModelsService,
        VersionsRepository,
        ArtifactsRepository,
        VersionsService,
        OrphanSweeper,
        AliasesService,
        DeploymentsRepository,
        DeploymentsService,
        NodesRepository,
        NodesService,
        RolloutService,
        NodesConsumer,
        NodeMessageDrops,
        NodeCommands,
        MlflowArtifactsRepository,
        MlflowService,
        WebhooksRepository,
        WebhooksService,
        WebhookSender,
        WebhookDispatcher,
      ],
    };
  }
}
