import { Worker } from 'node:worker_threads';
import { waitFor } from '@iotwins/testing';
import type { AppFleet, FreshToken, HostileRun } from './hostile-run';

export interface WitnessReport {
  calls: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Each error and each call slower than a second, with what the apps were handling then. */
  incidents: string[];
  written: number;
}

const TICK_MS = 100;
const CALL_TIMEOUT_MS = 5_000;

/**
 * The witness's loop, in a worker thread of its own: the tier's process builds and sends
 * multi-megabyte cases, and a witness on that event loop would measure the tier's own pauses
 * instead of the apps' latency. Plain JavaScript, because a worker does not go through
 * Jest's TypeScript transform.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { measurement, tickMs, timeoutMs } = workerData;
// The first apps and token come with the worker, so its first tick has somewhere to go.
let apps = workerData.apps;
let token = workerData.token;
let running = true;
let written = 0;
let errors = 0;
const latencies = [];
parentPort.on('message', (message) => {
  if (message.type === 'apps') apps = message.apps;
  if (message.type === 'token') token = message.token;
  if (message.type === 'stop') running = false;
});
async function call(what, work) {
  const started = performance.now();
  let ok = false;
  try { ok = await work(); } catch { ok = false; }
  const took = performance.now() - started;
  latencies.push(took);
  if (!ok) errors += 1;
  if (!ok || took > 1000) parentPort.postMessage({ type: 'incident', what, ok, took });
}
async function write() {
  if (!apps.ingest) return false;
  const sequence = written;
  const response = await fetch(apps.ingest + '/v1/points', {
    method: 'POST',
    headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
    body: JSON.stringify({ points: [{ measurement, fields: { sequence },
      time: new Date(Date.UTC(2026, 10, 24) + sequence).toISOString() }] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  await response.arrayBuffer();
  if (response.status === 202) written += 1;
  return response.status === 202;
}
async function read() {
  if (!apps.timeseries) return false;
  const response = await fetch(apps.timeseries + '/v1/measurements/' + measurement + '/last', {
    headers: { authorization: 'Bearer ' + token }, signal: AbortSignal.timeout(timeoutMs),
  });
  await response.arrayBuffer();
  return response.status === 200;
}
async function live(name) {
  if (!apps[name]) return false;
  const response = await fetch(apps[name] + '/health/live', { signal: AbortSignal.timeout(timeoutMs) });
  await response.arrayBuffer();
  return response.status === 200;
}
(async () => {
  while (running) {
    const started = Date.now();
    await call('write', write);
    await call('read', read);
    for (const name of Object.keys(apps)) await call(name + ' /health/live', () => live(name));
    const rest = tickMs - (Date.now() - started);
    if (rest > 0) await new Promise((done) => setTimeout(done, rest));
  }
  parentPort.postMessage({ type: 'done', latencies, errors, written });
})();
`;

/**
 * Another tenant going about its business while the attack runs: every ~100 ms tenant-b
 * writes one point through ingest, reads its latest point back from timeseries and asks
 * every app's /health/live. Its latency and errors are what "one tenant's fault stays that
 * tenant's" means for everyone else.
 */
export class Witness {
  private worker: Worker | undefined;
  private readonly incidents: string[] = [];
  private updates: NodeJS.Timeout | undefined;
  private report: Promise<WitnessReport> | undefined;

  constructor(
    private readonly fleet: AppFleet,
    private readonly run: HostileRun,
    private readonly token: FreshToken,
    private readonly measurement: string,
  ) {}

  /** Writes the first point and waits until it reads back, then starts the loop. */
  async start(): Promise<void> {
    const headers = {
      authorization: `Bearer ${await this.token.get()}`,
      'content-type': 'application/json',
    };
    const ingest = await this.fleet.app('ingest');
    const timeseries = await this.fleet.app('timeseries');
    const first = await fetch(`${ingest.baseUrl}/v1/points`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        points: [
          { measurement: this.measurement, fields: { sequence: -1 }, time: '2026-11-23T00:00:00Z' },
        ],
      }),
    });
    if (first.status !== 202) throw new Error(`the witness's first write answered ${first.status}`);
    await waitFor(
      'the witness point stored',
      async () =>
        (await fetch(`${timeseries.baseUrl}/v1/measurements/${this.measurement}/last`, { headers }))
          .status === 200,
    );
    const apps = (): Record<string, string | null> =>
      Object.fromEntries(
        this.fleet.names().map((name) => [name, this.fleet.running(name)?.baseUrl ?? null]),
      );
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        measurement: this.measurement,
        tickMs: TICK_MS,
        timeoutMs: CALL_TIMEOUT_MS,
        apps: apps(),
        token: await this.token.get(),
      },
    });
    this.worker = worker;
    const share = async (): Promise<void> => {
      worker.postMessage({ type: 'apps', apps: apps() });
      worker.postMessage({ type: 'token', token: await this.token.get() });
    };
    this.updates = setInterval(() => void share().catch(() => undefined), 500);
    this.report = new Promise<WitnessReport>((done, fail) => {
      worker.on('error', fail);
      worker.on(
        'message',
        (message: {
          type: string;
          what?: string;
          ok?: boolean;
          took?: number;
          latencies?: number[];
          errors?: number;
          written?: number;
        }) => {
          if (message.type === 'incident') {
            const during = [...this.run.inFlight.entries()].map(
              ([app, label]) => `${app}: ${label}`,
            );
            this.incidents.push(
              `${new Date().toISOString()} ${message.what} ${message.ok ? 'slow' : 'FAILED'} after ${message.took?.toFixed(0)} ms; in flight: ${during.join('; ') || 'nothing'}`,
            );
          }
          if (message.type === 'done') {
            const sorted = [...(message.latencies ?? [])].sort((a, b) => a - b);
            const at = (q: number): number =>
              sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
            done({
              calls: sorted.length,
              errors: message.errors ?? 0,
              p50Ms: at(0.5),
              p99Ms: at(0.99),
              maxMs: sorted[sorted.length - 1] ?? 0,
              incidents: this.incidents,
              written: message.written ?? 0,
            });
          }
        },
      );
    });
  }

  async stop(): Promise<WitnessReport> {
    if (!this.worker || !this.report) throw new Error('the witness was not started');
    clearInterval(this.updates);
    this.worker.postMessage({ type: 'stop' });
    const report = await this.report;
    await this.worker.terminate();
    return report;
  }

  /** How many of the witness's loop points are stored (the first, sequence -1, not counted). */
  async storedCount(): Promise<number> {
    const timeseries = this.fleet.running('timeseries');
    if (!timeseries) return -1;
    const response = await fetch(
      `${timeseries.baseUrl}/v1/measurements/${this.measurement}/points?start=2026-11-24T00:00:00Z&end=2026-11-25T00:00:00Z&limit=100000`,
      { headers: { authorization: `Bearer ${await this.token.get()}` } },
    );
    if (response.status !== 200) return -1;
    const body = (await response.json()) as { series: { points: unknown[] }[] };
    return body.series.reduce((sum, series) => sum + series.points.length, 0);
  }
}
