import { loadConfig } from '@iotwins/config';
import { appEnv, describeServiceContract, startServiceApp } from '@iotwins/testing';
import { objectstoreEnvSchema } from '../src/app.config';
import { APP_NAME, ObjectstoreModule } from '../src/app.module';

describeServiceContract(
  APP_NAME,
  () =>
    startServiceApp(
      ObjectstoreModule.forRoot(loadConfig(objectstoreEnvSchema, appEnv(APP_NAME))),
      APP_NAME,
    ),
  ['nats', 's3'],
);
