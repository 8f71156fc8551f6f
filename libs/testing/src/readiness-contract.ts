import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { repoRoot } from './local-env';
import { waitFor, type RunningApp } from './service-app';

export interface Dependency {
  /** Name of the readiness check in /health/ready. */
  check: string;
  /** Name of the server in scripts/services.sh. */
  server: string;
}

/** Stops or starts one real backing server through the repo's script. */
export function services(action: 'stop' | 'start', server: string): void {
  execFileSync('bash', [resolve(repoRoot, 'scripts/services.sh'), action, server], {
    stdio: 'pipe',
  });
}

interface Readiness {
  status: number;
  checks: Record<string, { status: string }>;
}

async function readiness(running: RunningApp): Promise<Readiness> {
  const response = await fetch(`${running.baseUrl}/health/ready`);
  const body = (await response.json()) as { details?: Record<string, { status: string }> };
  return { status: response.status, checks: body.details ?? {} };
}

/**
 * Stops each real backing server of an app in turn and checks that readiness turns false,
 * naming that dependency, and turns true again once the server is back. Runs serially
 * (the resilience tier), since it takes shared servers away.
 */
export function describeReadinessFollowsDependencies(
  appName: string,
  start: () => Promise<RunningApp>,
  dependencies: Dependency[],
): void {
  describe(`${appName} readiness follows its backing services`, () => {
    let running: RunningApp;
    beforeAll(async () => {
      running = await start();
      await waitFor(`${appName} ready`, async () => (await readiness(running)).status === 200);
    });
    afterAll(async () => {
      for (const { server } of dependencies) services('start', server);
      await running?.close();
    });

    it.each(dependencies)(
      'turns false while $server is stopped and true when it is back',
      async ({ check, server }) => {
        services('stop', server);
        try {
          await waitFor(`${appName} not ready without ${server}`, async () => {
            const { status, checks } = await readiness(running);
            return status === 503 && checks[check]?.status === 'down';
          });
        } finally {
          services('start', server);
        }
        await waitFor(
          `${appName} ready again after ${server} came back`,
          async () => {
            const { status, checks } = await readiness(running);
            return status === 200 && checks[check]?.status === 'up';
          },
          { timeoutMs: 60_000 },
        );
      },
      150_000,
    );
  });
}
