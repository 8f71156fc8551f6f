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
 * Another tenant going about its business while the attack runs: every ~100 ms tenant-b
 * writes one point through ingest, reads its latest point back from timeseries and asks
 * every app's /health/live. Its latency and errors are what "one tenant's fault stays that
 * tenant's" means for everyone else.
 */
export class Witness {
  private readonly latencies: number[] = [];
  private readonly incidents: string[] = [];
  private errors = 0;
  private written = 0;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly fleet: AppFleet,
    private readonly run: HostileRun,
    private readonly token: FreshToken,
    private readonly measurement: string,
  ) {}

  /** Writes the first point and waits until it can be read, so later reads have something. */
  async start(): Promise<void> {
    await this.write();
    await waitFor('the witness point stored', async () => (await this.read()) === 200);
    this.running = true;
    this.loop = this.tick();
  }

  async stop(): Promise<WitnessReport> {
    this.running = false;
    await this.loop;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (q: number): number =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return {
      calls: sorted.length,
      errors: this.errors,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: sorted[sorted.length - 1] ?? 0,
      incidents: this.incidents,
      written: this.written,
    };
  }

  /** Every point the witness was told was accepted, stored (nothing of it was lost). */
  async storedCount(): Promise<number> {
    const timeseries = this.fleet.running('timeseries');
    if (!timeseries) return -1;
    const response = await fetch(
      `${timeseries.baseUrl}/v1/measurements/${this.measurement}/points?start=2026-01-01T00:00:00Z&end=2027-01-01T00:00:00Z&limit=100000`,
      { headers: { authorization: `Bearer ${await this.token.get()}` } },
    );
    if (response.status !== 200) return -1;
    const body = (await response.json()) as { series: { points: unknown[] }[] };
    return body.series.reduce((sum, series) => sum + series.points.length, 0);
  }

  private async tick(): Promise<void> {
    while (this.running) {
      const started = Date.now();
      await this.measure('write', () =>
        this.write().then(
          (status) => status === 202,
          () => false,
        ),
      );
      await this.measure('read', () =>
        this.read().then(
          (status) => status === 200,
          () => false,
        ),
      );
      for (const name of this.fleet.names())
        await this.measure(`${name} /health/live`, () => this.live(name));
      const rest = TICK_MS - (Date.now() - started);
      if (rest > 0) await new Promise((done) => setTimeout(done, rest));
    }
  }

  private async measure(what: string, call: () => Promise<boolean>): Promise<void> {
    const started = performance.now();
    const ok = await call().catch(() => false);
    const took = performance.now() - started;
    this.latencies.push(took);
    if (!ok || took > 1_000) {
      if (!ok) this.errors += 1;
      const during = [...this.run.inFlight.entries()].map(([app, label]) => `${app}: ${label}`);
      this.incidents.push(
        `${new Date().toISOString()} ${what} ${ok ? 'slow' : 'FAILED'} after ${took.toFixed(0)} ms; in flight: ${during.join('; ') || 'nothing'}`,
      );
    }
  }

  private async write(): Promise<number> {
    const ingest = this.fleet.running('ingest');
    if (!ingest) return 0;
    const sequence = this.written;
    const response = await fetch(`${ingest.baseUrl}/v1/points`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await this.token.get()}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        points: [
          {
            measurement: this.measurement,
            fields: { sequence },
            // One distinct time per point, so every acknowledged write is a point of its own.
            time: new Date(Date.UTC(2026, 10, 24) + sequence).toISOString(),
          },
        ],
      }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    if (response.status === 202) this.written += 1;
    return response.status;
  }

  private async read(): Promise<number> {
    const timeseries = this.fleet.running('timeseries');
    if (!timeseries) return 0;
    const response = await fetch(`${timeseries.baseUrl}/v1/measurements/${this.measurement}/last`, {
      headers: { authorization: `Bearer ${await this.token.get()}` },
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.status;
  }

  private async live(name: string): Promise<boolean> {
    const app = this.fleet.running(name);
    if (!app) return false;
    const response = await fetch(`${app.baseUrl}/health/live`, {
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.status === 200;
  }
}
