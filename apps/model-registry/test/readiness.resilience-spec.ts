import { loadConfig } from '@iotwins/config';
import { appEnv, describeReadinessFollowsDependencies, startServiceApp } from '@iotwins/testing';
import { modelRegistryEnvSchema } from '../src/app.config';
import { APP_NAME, ModelRegistryModule } from '../src/app.module';

describeReadinessFollowsDependencies(
  APP_NAME,
  () =>
    startServiceApp(
      ModelRegistryModule.forRoot(loadConfig(modelRegistryEnvSchema, appEnv(APP_NAME))),
      APP_NAME,
    ),
  [
    { check: 'mongodb', server: 'ferretdb' },
    { check: 's3', server: 'minio' },
    { check: 'nats', server: 'nats' },
  ],
);
