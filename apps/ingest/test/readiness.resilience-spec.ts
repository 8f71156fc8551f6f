import { loadConfig } from '@iotwins/config';
import { appEnv, describeReadinessFollowsDependencies, startServiceApp } from '@iotwins/testing';
import { ingestEnvSchema } from '../src/app.config';
import { APP_NAME, IngestModule } from '../src/app.module';

describeReadinessFollowsDependencies(
  APP_NAME,
  () =>
    startServiceApp(IngestModule.forRoot(loadConfig(ingestEnvSchema, appEnv(APP_NAME))), APP_NAME),
  // Only NATS: ingest serves without Redis (limits fail open) and Mosquitto (HTTP, gRPC).
  [{ check: 'nats', server: 'nats' }],
);
