import type { DynamicModule, Type } from '@nestjs/common';
import { ConfigError, type BaseEnv } from '@iotwins/config';
import { createServiceApp, type ServiceOptions } from './service.bootstrap';

interface Listenable {
  PORT: number;
  HOST: BaseEnv['HOST'];
}

/**
 * The whole of an app's main.ts: validate the environment first (one line per bad
 * variable, exit 1), then build the app and listen.
 */
export async function runService<C extends Listenable>(
  loadConfig: () => C,
  buildModule: (config: C) => Type<unknown> | DynamicModule,
  options: ServiceOptions,
): Promise<void> {
  let config: C;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${options.appName}: invalid configuration\n`);
      for (const problem of error.problems) process.stderr.write(`  ${problem}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createServiceApp(buildModule(config), options);
  for (const microservice of options.microservices?.(config) ?? [])
    app.connectMicroservice(microservice);
  await app.startAllMicroservices();
  await app.listen({ port: config.PORT, host: config.HOST });
}
