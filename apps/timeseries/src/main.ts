import 'reflect-metadata';
import { runService } from '@iotwins/service';
import { loadTimeseriesConfig } from './app.config';
import { APP_NAME, TimeseriesModule } from './app.module';

void runService(loadTimeseriesConfig, (config) => TimeseriesModule.forRoot(config), {
  appName: APP_NAME,
  description: 'Writes telemetry to InfluxDB and answers time-series queries.',
});
