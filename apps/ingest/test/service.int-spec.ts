import { loadConfig } from '@iotwins/config';
import { appEnv, describeServiceContract, startServiceApp } from '@iotwins/testing';
import { ingestEnvSchema } from '../src/app.config';
import { APP_NAME, IngestModule } from '../src/app.module';

describeServiceContract(
  APP_NAME,
  () =>
    startServiceApp(IngestModule.forRoot(loadConfig(ingestEnvSchema, appEnv(APP_NAME))), APP_NAME),
  ['nats', 'redis', 'mqtt'],
);
