import type { DynamicModule } from '@nestjs/common';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServiceApp } from '@iotwins/service';

export interface RunningApp {
  app: NestFastifyApplication;
  baseUrl: string;
  close(): Promise<void>;
}

/** Boots an app as main.ts does, on a free loopback port, so tests call it over real HTTP. */
export async function startServiceApp(
  module: DynamicModule,
  appName: string,
  microservices: MicroserviceOptions[] = [],
): Promise<RunningApp> {
  const app = await createServiceApp(module, { appName, description: `${appName} under test` });
  for (const microservice of microservices) app.connectMicroservice(microservice);
  await app.startAllMicroservices();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string')
    throw new Error('app is not listening on TCP');
  return { app, baseUrl: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/**
 * The environment an app sees when started by scripts/start.sh: the local settings plus its
 * own NATS user, so tests exercise the same per-service credentials.
 */
export function appEnv(appName: string, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const passwordVariable = `NATS_${appName.toUpperCase().replace(/-/g, '_')}_PASSWORD`;
  return {
    ...process.env,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NATS_USER: appName,
    NATS_PASSWORD: process.env[passwordVariable],
    // A free port, so a test never collides with an app already running on the default.
    GRPC_PORT: '0',
    ...overrides,
  };
}

/** Polls until the predicate holds, for conditions that settle asynchronously. */
export async function waitFor(
  what: string,
  predicate: () => Promise<boolean>,
  { timeoutMs = 30_000, intervalMs = 250 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
