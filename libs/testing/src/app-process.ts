import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { repoRoot } from './local-env';
import { appEnv, waitFor } from './service-app';

export interface AppProcess {
  name: string;
  baseUrl: string;
  /** Port of the app's gRPC server, for apps that have one. */
  grpcPort: number;
  /** Port of the app's MQTT endpoint, for apps that have one. */
  mqttPort: number;
  process: ChildProcess;
  /** Recent output, for the failure message of a spec. */
  output(): string;
  /** Stops the app; SIGKILL simulates a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A free TCP port on loopback, picked by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Runs a built app (apps/<name>/dist/main.js) as its own process, as `scripts/start.sh` does,
 * and waits until it is ready. End-to-end specs talk to it over HTTP only.
 */
export async function startAppProcess(
  name: string,
  overrides: Record<string, string> = {},
): Promise<AppProcess> {
  const port = await freePort();
  const grpcPort = await freePort();
  const mqttPort = await freePort();
  // APP_NODE_ARGS passes flags to the apps only, e.g. --cpu-prof while a benchmark runs.
  const nodeArgs = (process.env.APP_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...nodeArgs, resolve(repoRoot, `apps/${name}/dist/main.js`)],
    {
      env: {
        ...appEnv(name, {
          LOG_LEVEL: 'warn',
          PORT: String(port),
          GRPC_PORT: String(grpcPort),
          MQTT_SERVER_PORT: String(mqttPort),
          HOST: '127.0.0.1',
          ...overrides,
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      waitFor(`${name} ready`, async () => (await fetch(`${baseUrl}/health/ready`)).status === 200),
      exited.then(() => {
        throw new Error(`${name} exited with code ${child.exitCode} while starting`);
      }),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return {
    name,
    baseUrl,
    grpcPort,
    mqttPort,
    process: child,
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
