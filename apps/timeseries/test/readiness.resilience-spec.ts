import { loadConfig } from '@iotwins/config';
import { appEnv, describeReadinessFollowsDependencies, startServiceApp } from '@iotwins/testing';
import { timeseriesEnvSchema } from '../src/app.config';
import { APP_NAME, TimeseriesModule } from '../src/app.module';

describeReadinessFollowsDependencies(
  APP_NAME,
  () =>
    startServiceApp(
      TimeseriesModule.forRoot(loadConfig(timeseriesEnvSchema, appEnv(APP_NAME))),
      APP_NAME,
    ),
  [
    { check: 'influxdb', server: 'influxdb' },
    { check: 'nats', server: 'nats' },
  ],
);
