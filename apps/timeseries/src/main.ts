import 'reflect-metadata';
import { runService } from '@iotwins/service';
import { loadTimeseriesConfig } from './app.config';
import { APP_NAME, TimeseriesModule } from './app.module';

void runService(loadTimeseriesConfig, (config) => TimeseriesModule.forRoot(config), {
  appName: APP_NAME,
  description: 'Writes telemetry to InfluxDB and answers time-series queries.',
  // InfluxDB clients (Grafana, the influx CLI) read a refusal of /query from `error`.
  problemMembers: (path, problem) =>
    path === '/query' ? { error: problem.detail ?? problem.title } : undefined,
});
