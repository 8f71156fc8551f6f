import 'reflect-metadata';
import { runService } from '@iotwins/service';
import { loadModelRegistryConfig } from './app.config';
import { APP_NAME, ModelRegistryModule } from './app.module';
import { registryRpcTransport } from './rpc/rpc.transport';

void runService(loadModelRegistryConfig, (config) => ModelRegistryModule.forRoot(config), {
  appName: APP_NAME,
  description: 'Models, versions, artifacts, aliases and deployments to edge nodes.',
  microservices: (config) => [registryRpcTransport(config)],
});
