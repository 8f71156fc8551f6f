import { loadConfig } from '@iotwins/config';
import { appEnv, describeServiceContract, startServiceApp } from '@iotwins/testing';
import { timeseriesEnvSchema } from '../src/app.config';
import { APP_NAME, TimeseriesModule } from '../src/app.module';

describeServiceContract(
  APP_NAME,
  () =>
    startServiceApp(
      TimeseriesModule.forRoot(loadConfig(timeseriesEnvSchema, appEnv(APP_NAME))),
      APP_NAME,
    ),
  ['nats', 'influxdb'],
);
