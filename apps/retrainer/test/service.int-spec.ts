import { loadConfig } from '@iotwins/config';
import { appEnv, describeServiceContract, startServiceApp } from '@iotwins/testing';
import { retrainerEnvSchema } from '../src/app.config';
import { APP_NAME, RetrainerModule } from '../src/app.module';

describeServiceContract(
  APP_NAME,
  () =>
    startServiceApp(
      RetrainerModule.forRoot(loadConfig(retrainerEnvSchema, appEnv(APP_NAME))),
      APP_NAME,
    ),
  ['nats', 'postgresql'],
);
