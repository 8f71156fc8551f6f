import { loadConfig } from '@iotwins/config';
import { appEnv, describeReadinessFollowsDependencies, startServiceApp } from '@iotwins/testing';
import { retrainerEnvSchema } from '../src/app.config';
import { APP_NAME, RetrainerModule } from '../src/app.module';

describeReadinessFollowsDependencies(
  APP_NAME,
  () =>
    startServiceApp(
      RetrainerModule.forRoot(loadConfig(retrainerEnvSchema, appEnv(APP_NAME))),
      APP_NAME,
    ),
  [
    { check: 'postgresql', server: 'postgres' },
    { check: 'nats', server: 'nats' },
  ],
);
