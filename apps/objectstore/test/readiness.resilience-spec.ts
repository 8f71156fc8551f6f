import { loadConfig } from '@iotwins/config';
import { appEnv, describeReadinessFollowsDependencies, startServiceApp } from '@iotwins/testing';
import { objectstoreEnvSchema } from '../src/app.config';
import { APP_NAME, ObjectstoreModule } from '../src/app.module';

describeReadinessFollowsDependencies(
  APP_NAME,
  () =>
    startServiceApp(
      ObjectstoreModule.forRoot(loadConfig(objectstoreEnvSchema, appEnv(APP_NAME))),
      APP_NAME,
    ),
  [
    { check: 's3', server: 'minio' },
    { check: 'nats', server: 'nats' },
  ],
);
