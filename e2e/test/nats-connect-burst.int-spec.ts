import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

/**
 * Loaded into the ingest process (node --require): the longest its event loop was held,
 * written every 200 ms as "<epoch ms> <max delay ms>". /health/live probed from outside also
 * counts the machine's scheduling, which on a shared 2-core machine is 100-400 ms by itself.
 */
const EVENT_LOOP_PROBE = `
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { appendFileSync } = require('node:fs');
const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
setInterval(() => {
  appendFileSync(process.env.EVENT_LOOP_DELAY_FILE, Date.now() + ' ' + histogram.max / 1e6 + '\\n');
  histogram.reset();
}, 200).unref();
`;

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
  const dir = mkdtempSync(join(tmpdir(), 'nats-burst-'));
  const delays = join(dir, 'event-loop-delay.log');

  beforeAll(async () => {
    writeFileSync(join(dir, 'probe.cjs'), EVENT_LOOP_PROBE);
    const nodeArgs = process.env.APP_NODE_ARGS;
    process.env.APP_NODE_ARGS = `${nodeArgs ?? ''} --require ${join(dir, 'probe.cjs')}`;
    try {
      ingest = await startAppProcess('ingest', { EVENT_LOOP_DELAY_FILE: delays });
    } finally {
      if (nodeArgs === undefined) delete process.env.APP_NODE_ARGS;
      else process.env.APP_NODE_ARGS = nodeArgs;
    }
  }, 120_000);

  /** The longest ingest's event loop was held between two moments (epoch ms). */
  const eventLoopHeld = (from: number, to: number): number =>
    Math.max(
      0,
      ...readFileSync(delays, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ').map(Number) as [number, number])
        .filter(([at]) => at > from && at <= to + 200)
        .map(([, held]) => held),
    );
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
  /** ingest's CPU time so far (prom-client's process_cpu_seconds_total). */
  const cpuSeconds = async (): Promise<number> => {
    const metrics = await (await fetch(`${ingest.baseUrl}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('process_cpu_seconds_total'));
    return Number(line?.split(' ').pop());
  };
  const median = (times: number[]): number => [...times].sort((x, y) => x - y)[times.length >> 1]!;
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

    const quietStarted = Date.now();
    const baseline = probeLiveness();
    await new Promise((done) => setTimeout(done, 3_000));
    const quiet = await baseline.stop();
    const quietHeld = eventLoopHeld(quietStarted, Date.now());
    const cpuBefore = await cpuSeconds();
    const during = probeLiveness();
    const burstStarted = Date.now();
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
    const burstEnded = Date.now();
    const liveness = await during.stop();
    await new Promise((done) => setTimeout(done, 300)); // the probe's last interval
    const held = eventLoopHeld(burstStarted, burstEnded);
    const cpuPerConnect = (((await cpuSeconds()) - cpuBefore) * 1000) / (BURST + WITNESS_LOGINS);
    const metrics = await (await fetch(`${ingest.baseUrl}/metrics`)).text();
    // The figures for the report of a run (visible with --verbose or on failure).
    process.stdout.write(
      `burst: tenant-a connected ${connectedA}/${BURST}; tenant-b ${witnessOutcomes.join(', ')}; ` +
        `/health/live before: ${summary(quiet)}; during: ${summary(liveness)}; ingest's event loop held at most ${held.toFixed(1)} ms (${quietHeld.toFixed(1)} ms before); ingest CPU ${cpuPerConnect.toFixed(2)} ms per CONNECT\n` +
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
    // Last, so a failure here still shows every other check passed. The callout as it was
    // spent ~100 ms of ingest's event loop per CONNECT (pure-JavaScript Ed25519) and held
    // /health/live for seconds under this burst; now a CONNECT costs ingest about a
    // millisecond of CPU, and the typical /health/live answer stays fast. Its slowest
    // answers (printed above) are dominated by the machine's scheduling when it is shared:
    // 100-400 ms were seen without any burst at load 15-30 on 2 cores.
    expect(cpuPerConnect).toBeLessThan(5);
    expect(median(liveness)).toBeLessThan(100);
  }, 300_000);
});
