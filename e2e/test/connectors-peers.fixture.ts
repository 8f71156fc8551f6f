import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import {
  callJsonApi,
  createdConnectorId,
  repoRoot,
  waitFor,
  type ApiAnswer,
  type AppProcess,
} from '@iotwins/testing';

export type { ApiAnswer };

/**
 * Shared by the OPC-UA and external MQTT connector specs: the connectors API of an ingest
 * process, the query API of timeseries, and the simulated machine tool (node-opcua's server).
 */

export class ConnectorsApi {
  /** Connectors created through this client: removed by `removeAll` even when a test failed. */
  readonly created: string[] = [];

  constructor(
    public app: AppProcess,
    private readonly token: () => string,
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const answer = await callJsonApi(this.app.baseUrl, this.token(), method, path, body);
    const id = createdConnectorId(method, path, answer);
    if (id) this.created.push(id);
    return answer;
  }

  create(name: string, type: string, config: unknown): Promise<ApiAnswer> {
    return this.call('POST', '/v1/connectors', { name, type, config });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a connector status, checked by the caller
  async status(id: string): Promise<any> {
    return (await this.call('GET', `/v1/connectors/${id}`)).body.status;
  }

  async removeAll(): Promise<void> {
    if (this.app.process.exitCode !== null || this.app.process.signalCode !== null) return;
    for (const id of this.created)
      await this.call('DELETE', `/v1/connectors/${id}`).catch(() => undefined);
  }
}

export interface StoredPoint {
  tags: Record<string, string>;
  time: string;
  fields: Record<string, unknown>;
}

/** Every point of a measurement in a wide time range, through the query API of timeseries. */
export async function storedPoints(
  timeseries: AppProcess,
  token: string,
  measurement: string,
): Promise<StoredPoint[]> {
  const response = await fetch(
    `${timeseries.baseUrl}/v1/measurements/${measurement}/points?start=2020-01-01T00:00:00Z&end=2030-01-01T00:00:00Z&limit=10000`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  if (response.status === 404) return [];
  if (response.status !== 200)
    throw new Error(
      `query of ${measurement} answered ${response.status}: ${await response.text()}`,
    );
  const { series } = (await response.json()) as {
    series: {
      tags: Record<string, string>;
      points: { time: string; fields: Record<string, unknown> }[];
    }[];
  };
  return series.flatMap((s) => s.points.map((p) => ({ tags: s.tags, ...p })));
}

/** One value the simulated machine tool published, as it printed it. */
export interface PublishedValue {
  node: string;
  value: number | string | boolean;
  type: string;
  time: string;
}

/**
 * scripts/opcua-machine-tool.js as a child process: every value it publishes is recorded
 * here (from its stdout), so a spec compares what was stored with what the server published.
 */
export class MachineTool {
  readonly published: PublishedValue[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  constructor(
    readonly port: number,
    private readonly env: Record<string, string> = {},
  ) {}

  get endpointUrl(): string {
    return `opc.tcp://127.0.0.1:${this.port}/UA/MachineTool`;
  }

  async start(): Promise<void> {
    let ready = false;
    let buffer = '';
    const child = spawn(process.execPath, [resolve(repoRoot, 'scripts/opcua-machine-tool.js')], {
      env: { ...process.env, OPCUA_SIM_PORT: String(this.port), ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((done) => child.once('exit', () => done()));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        // node-opcua logs to stdout too: only the simulator's own JSON lines are records.
        if (!line.startsWith('{"')) continue;
        const record = JSON.parse(line) as PublishedValue | { ready: string };
        if ('ready' in record) ready = true;
        else this.published.push(record);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-10_000);
    });
    await waitFor(
      'the OPC-UA machine tool',
      async () => {
        if (child.exitCode !== null) throw new Error(`machine tool exited: ${this.output}`);
        return ready;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  }

  /** SIGKILL: the server goes away without closing its sessions, as a power cut would. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    await this.exited;
  }

  /** The values of one node, by publish time. */
  valuesOf(node: string): Map<string, PublishedValue['value']> {
    return new Map(
      this.published.filter((p) => p.node === node).map((p) => [p.time, p.value] as const),
    );
  }
}

/** An ISO time of the simulator (ms) as the query API shows it (ns). */
export const nanoTime = (iso: string): string => iso.replace(/\.(\d{3})Z$/, '.$1000000Z');
