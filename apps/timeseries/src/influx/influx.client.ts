import { Inject, Injectable } from '@nestjs/common';
import type { ReadinessCheck } from '@iotwins/observability';

export interface InfluxOptions {
  url: string;
  user: string;
  password: string;
}

export const INFLUX_OPTIONS = Symbol('INFLUX_OPTIONS');

/**
 * Talks to InfluxDB through its v1 HTTP API (/write, /query), which InfluxDB 1.x, 2.x
 * (with DBRP mappings) and 3.x all serve.
 */
@Injectable()
export class InfluxClient {
  private readonly authorization: string;

  constructor(@Inject(INFLUX_OPTIONS) private readonly options: InfluxOptions) {
    this.authorization = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
  }

  /**
   * Writes line protocol (nanosecond precision) to a database. Resolves with the HTTP status
   * and InfluxDB's error text, so the caller can tell a refused batch from an outage.
   */
  async write(database: string, body: string): Promise<{ status: number; error?: string }> {
    const url = new URL('/write', this.options.url);
    url.searchParams.set('db', database);
    url.searchParams.set('precision', 'ns');
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: this.authorization, 'content-type': 'text/plain; charset=utf-8' },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    if (response.status === 204) return { status: 204 };
    const text = await response.text();
    let error = text;
    try {
      error = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // InfluxDB answers some errors in plain text.
    }
    return { status: response.status, error };
  }

  /** Runs an InfluxQL statement and returns the parsed JSON answer. */
  async query(statement: string, database?: string): Promise<InfluxQueryResult> {
    const body = new URLSearchParams({ q: statement });
    if (database !== undefined) body.set('db', database);
    const response = await fetch(new URL('/query', this.options.url), {
      method: 'POST',
      headers: {
        authorization: this.authorization,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body,
    });
    const result = (await response.json()) as InfluxQueryResult;
    if (!response.ok)
      throw new Error(`InfluxDB answered HTTP ${response.status}: ${result.error ?? 'no detail'}`);
    const failed = result.results?.find((item) => item.error !== undefined);
    if (failed) throw new Error(`InfluxDB refused the query: ${failed.error}`);
    return result;
  }
}

export interface InfluxQueryResult {
  error?: string;
  results?: Array<{
    statement_id: number;
    error?: string;
    series?: Array<{
      name: string;
      columns: string[];
      values: unknown[][];
      tags?: Record<string, string>;
    }>;
  }>;
}

/** Ready when InfluxDB answers an authenticated query, not just /ping. */
@Injectable()
export class InfluxReadiness implements ReadinessCheck {
  readonly name = 'influxdb';

  constructor(private readonly influx: InfluxClient) {}

  async probe(): Promise<void> {
    await this.influx.query('SHOW DATABASES');
  }
}
