import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { requireEnv, startAppProcess, type AppProcess } from '@iotwins/testing';

/** nats-server's log: the shared server's (scripts/services.sh), or NATS_LOG for another. */
const natsLog = (): string =>
  process.env.NATS_LOG ?? resolve(requireEnv('IOTWINS_DATA_DIR'), 'services/nats/nats.log');

/** What the server logged after `offset` (bytes), for the lines of this spec's run only. */
const logSince = (offset: number): string => {
  const file = natsLog();
  return existsSync(file) ? readFileSync(file).subarray(offset).toString('utf8') : '';
};

const BURST = 500;
const AT_A_TIME = 25;
const WITNESS_LOGINS = 20;

/**
 * Issue 19, case 4: one tenant's CONNECT burst must not starve another tenant's logins. The
 * auth callout (native signing, a per-tenant CONNECT rate) answers within nats-server's auth
 * timeout, tenant-a's account caps its connections, and a witness tenant-b logs in every
 * time while ingest stays responsive. Through the real nats-server, callout and Keycloak.
 */
describe('NATS: a CONNECT burst of one tenant', () => {
  let ingest: AppProcess;
  const open: NatsConnection[] = [];

  beforeAll(async () => {
    ingest = await startAppProcess('ingest');
  }, 120_000);
  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
    await ingest?.stop();
  });

  /**
   * Probes ingest's /health/live every 50 ms from a process of its own (this one is busy
   * opening connections, and its own event loop would count in the figures).
   */
  const probeLiveness = (): { stop(): Promise<number[]> } => {
    const prober = spawn(
      process.execPath,
      [
        '-e',
        `const url = process.argv[1]; const times = []; let stop = false;
         process.stdin.on('data', () => { stop = true; }); process.stdin.resume();
         (async () => {
           while (!stop) {
             const started = performance.now();
             await (await fetch(url)).arrayBuffer();
             times.push(performance.now() - started);
             await new Promise((done) => setTimeout(done, 50));
           }
           process.stdout.write(JSON.stringify(times)); process.exit(0);
         })();`,
        `${ingest.baseUrl}/health/live`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let probed = '';
    prober.stdout.on('data', (chunk: Buffer) => (probed += chunk.toString()));
    const exited = new Promise<void>((done) => prober.once('exit', () => done()));
    return {
      stop: async () => {
        prober.stdin.end('stop\n');
        await exited;
        return JSON.parse(probed) as number[];
      },
    };
  };
  const summary = (times: number[]): string => {
    const sorted = [...times].sort((x, y) => x - y);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
    return `${times.length} probes, median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, slowest ${at(1).toFixed(1)} ms`;
  };

  const login = (tenant: 'tenant-a' | 'tenant-b', secret: string): Promise<NatsConnection> =>
    connect({
      servers: requireEnv('NATS_URL'),
      user: `gateway-${tenant}`,
      pass: secret,
      inboxPrefix: `_INBOX_${tenant}`,
      reconnect: false,
      timeout: 5_000,
    });

  it("leaves another tenant's logins and ingest's liveness untouched, and caps the bursting tenant", async () => {
    const logOffset = existsSync(natsLog()) ? statSync(natsLog()).size : 0;
    const secretA = requireEnv('KEYCLOAK_GATEWAY_TENANT_A_SECRET');
    const secretB = requireEnv('KEYCLOAK_GATEWAY_TENANT_B_SECRET');
    // Warm: the first exchange of each secret with Keycloak is not what this spec measures.
    for (const [tenant, secret] of [
      ['tenant-a', secretA],
      ['tenant-b', secretB],
    ] as const)
      await (await login(tenant, secret)).close();
    await new Promise((done) => setTimeout(done, 3_000)); // the rate's burst refills

    const baseline = probeLiveness();
    await new Promise((done) => setTimeout(done, 3_000));
    const quiet = await baseline.stop();
    const during = probeLiveness();
    const refusalsOfA: string[] = [];
    const burst = async (): Promise<number> => {
      let connected = 0;
      for (let sent = 0; sent < BURST; sent += AT_A_TIME) {
        const batch = await Promise.allSettled(
          Array.from({ length: AT_A_TIME }, () => login('tenant-a', secretA)),
        );
        for (const outcome of batch) {
          if (outcome.status === 'fulfilled') {
            open.push(outcome.value);
            connected++;
          } else refusalsOfA.push((outcome.reason as Error).message);
        }
      }
      return connected;
    };
    const witnessOutcomes: string[] = [];
    const witness = async (): Promise<void> => {
      for (let i = 0; i < WITNESS_LOGINS; i++) {
        const started = performance.now();
        try {
          const nc = await login('tenant-b', secretB);
          await nc.flush();
          await nc.close();
          witnessOutcomes.push(`ok ${Math.round(performance.now() - started)} ms`);
        } catch (error) {
          witnessOutcomes.push(`refused: ${(error as Error).message}`);
        }
        await new Promise((done) => setTimeout(done, 150));
      }
    };
    const [connectedA] = await Promise.all([burst(), witness()]);
    const liveness = await during.stop();
    const metrics = await (await fetch(`${ingest.baseUrl}/metrics`)).text();
    const slowest = Math.max(...liveness);
    // The figures for the report of a run (visible with --verbose or on failure).
    process.stdout.write(
      `burst: tenant-a connected ${connectedA}/${BURST}; tenant-b ${witnessOutcomes.join(', ')}; ` +
        `/health/live before: ${summary(quiet)}; during: ${summary(liveness)}\n` +
        `${metrics
          .split('\n')
          .filter((line) => line.startsWith('ingest_nats_auth_callout'))
          .join('\n')}\n`,
    );

    expect(witnessOutcomes.filter((outcome) => outcome.startsWith('ok'))).toHaveLength(
      WITNESS_LOGINS,
    );
    // tenant-a got in up to its limits, and the rest was refused, not left to time out.
    expect(connectedA).toBeGreaterThan(0);
    expect(connectedA).toBeLessThan(BURST);
    expect(refusalsOfA.length).toBe(BURST - connectedA);
    expect(
      refusalsOfA.filter((message) => !/authorization|maximum|ECONNRESET|closed/i.test(message)),
    ).toEqual([]);
    expect(metrics).toMatch(/^ingest_nats_auth_callouts_total\{outcome="over-rate"[^}]*\} [1-9]/m);
    // The server was told why: the tenant's rate or its account's connection limit.
    const log = logSince(logOffset);
    expect(log).toMatch(
      /over its NATS login rate|maximum (account )?(active )?connections exceeded/i,
    );
    // ...and no login of tenant-b failed or waited out the callout.
    expect(
      log
        .split('\n')
        .filter((line) => /gateway-tenant-b/.test(line) && /error|timeout/i.test(line)),
    ).toEqual([]);
    // Last, so a failure here still shows every other check passed. Under 100 ms, plus what
    // the machine itself shows without the burst: on a quiet machine that is a few ms, on a
    // machine shared with other work (load 15-30 seen) the scheduler alone takes 100-400 ms.
    // The callout as it was (~100 ms of event loop per CONNECT) stalled /health/live for
    // seconds under this burst.
    expect(slowest).toBeLessThan(100 + Math.max(...quiet));
  }, 300_000);
});
