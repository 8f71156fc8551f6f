import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { provisionEnvSchema, provisionNats, provisionOptions } from '@iotwins/messaging';
import { freePort, repoRoot, requireEnv, waitFor } from '@iotwins/testing';

export interface PrivateNats {
  url: string;
  stop(): Promise<void>;
}

/**
 * A nats-server of this spec's own (deploy/nats/nats.conf, its ports and store in a temporary
 * folder), provisioned as the operator would. An ingest request goes to one member of the
 * "ingest" queue group: on the shared server that may be another session's ingest, which the
 * hostile requests of these specs must not reach.
 */
export async function startPrivateNats(): Promise<PrivateNats> {
  const bin = execFileSync('bash', [resolve(repoRoot, 'scripts/services.sh'), 'install-nats'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'iotwins-telemetry-limits-nats-'));
  const [port, monitor, ws] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(bin, ['-c', resolve(repoRoot, 'deploy/nats/nats.conf')], {
    env: {
      ...process.env,
      NATS_HOST: '127.0.0.1',
      NATS_PORT: String(port),
      NATS_MONITOR_PORT: String(monitor),
      NATS_WS_PORT: String(ws),
      NATS_STORE_DIR: join(dir, 'jetstream'),
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `nats://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('private nats-server', async () =>
      fetch(`http://127.0.0.1:${monitor}/healthz`)
        .then((response) => response.ok)
        .catch(() => false),
    );
    const nc = await connect({ servers: url, user: 'dev', pass: requireEnv('NATS_DEV_PASSWORD') });
    try {
      await provisionNats(
        nc,
        provisionOptions(
          provisionEnvSchema.parse({
            NATS_URL: url,
            NATS_OPERATOR_USER: 'dev',
            NATS_OPERATOR_PASSWORD: requireEnv('NATS_DEV_PASSWORD'),
          }),
        ),
      );
    } finally {
      await nc.close();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

/** Resident memory of a process, in MiB (Linux /proc). */
export function residentMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return Math.round(kib / 1024);
}
