import 'reflect-metadata';
import { runService } from '@iotwins/service';
import { loadIngestConfig } from './app.config';
import { APP_NAME, IngestModule } from './app.module';

void runService(loadIngestConfig, (config) => IngestModule.forRoot(config), {
  appName: APP_NAME,
  description: 'Accepts telemetry from edge gateways and publishes it to JetStream.',
});
