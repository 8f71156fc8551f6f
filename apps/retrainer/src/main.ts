import 'reflect-metadata';
import { runService } from '@iotwins/service';
import { loadRetrainerConfig } from './app.config';
import { APP_NAME, RetrainerModule } from './app.module';

void runService(loadRetrainerConfig, (config) => RetrainerModule.forRoot(config), {
  appName: APP_NAME,
  description: 'Monitors deployed models and triggers retraining when accuracy degrades.',
});
