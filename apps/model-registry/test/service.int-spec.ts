import { loadConfig } from '@iotwins/config';
import { appEnv, describeServiceContract, startServiceApp } from '@iotwins/testing';
import { modelRegistryEnvSchema } from '../src/app.config';
import { APP_NAME, ModelRegistryModule } from '../src/app.module';

describeServiceContract(
  APP_NAME,
  () =>
    startServiceApp(
      ModelRegistryModule.forRoot(loadConfig(modelRegistryEnvSchema, appEnv(APP_NAME))),
      APP_NAME,
    ),
  ['nats', 'mongodb', 's3'],
);
