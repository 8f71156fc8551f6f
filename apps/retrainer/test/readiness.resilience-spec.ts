import { loadConfig } from '@iotwins/config';
import {
  appEnv,
  describeReadinessFollowsDependencies,
  startServiceApp,
  uniqueName,
} from '@iotwins/testing';
import { retrainerEnvSchema } from '../src/app.config';
import { APP_NAME, RetrainerModule } from '../src/app.module';
import { RegistryResponder } from './registry.responder';
import { TestDatabase, retrainerOverrides } from './retrainer.fixture';

const database = new TestDatabase();
let registry: RegistryResponder | undefined;

// Runs after the contract's own afterAll, which brings the stopped servers back.
afterAll(async () => {
  await registry?.close();
  await database.drop();
});

describeReadinessFollowsDependencies(APP_NAME, async () => {
  await database.create();
  // The responder is not closed: readiness does not depend on the registry, and the
  // spec's servers restart under it.
  const registry = await RegistryResponder.start();
  const overrides = retrainerOverrides(database, registry, uniqueName('retrainer-readiness'));
  return startServiceApp(
    RetrainerModule.forRoot(loadConfig(retrainerEnvSchema, appEnv(APP_NAME, overrides))),
    APP_NAME,
  );
}, [
  { check: 'postgresql', server: 'postgres' },
  { check: 'nats', server: 'nats' },
]);
