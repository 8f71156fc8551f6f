import { Inject, Injectable } from '@nestjs/common';
import { parse as parseLossless } from 'lossless-json';
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
  async write(
    database: string,
    body: string | Uint8Array,
  ): Promise<{ status: number; error?: string }> {
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

  /**
   * Runs an InfluxQL statement. Times come as epoch nanoseconds and every number as its exact
   * text (NumberText): JSON.parse would round 64-bit integers and nanosecond times.
   */
  async query(statement: string, database?: string): Promise<InfluxQueryResult> {
    const response = await this.post(statement, database);
    const result = parseLossless(
      await response.text(),
      undefined,
      (text) => new NumberText(text),
    ) as InfluxQueryResult;
    if (!response.ok)
      throw new Error(`InfluxDB answered HTTP ${response.status}: ${result.error ?? 'no detail'}`);
    const failed = result.results?.find((item) => item.error !== undefined);
    if (failed) throw new Error(`InfluxDB refused the query: ${failed.error}`);
    return result;
  }

  /**
   * Runs a query in chunks and yields each chunk as it arrives, so an export of millions of
   * points holds one chunk in memory at a time.
   */
  async *queryChunks(
    statement: string,
    database: string,
    chunkSize = 10_000,
  ): AsyncGenerator<InfluxQueryResult> {
    const response = await this.post(statement, database, {
      chunked: 'true',
      chunk_size: String(chunkSize),
    });
    if (!response.ok || !response.body)
      throw new Error(`InfluxDB answered HTTP ${response.status}`);
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(bytes, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim().length > 0) yield this.parseChunk(line);
      }
    }
    if (buffered.trim().length > 0) yield this.parseChunk(buffered);
  }

  private parseChunk(line: string): InfluxQueryResult {
    const chunk = parseLossless(
      line,
      undefined,
      (text) => new NumberText(text),
    ) as InfluxQueryResult;
    const failed = chunk.results?.find((item) => item.error !== undefined);
    if (chunk.error || failed)
      throw new Error(`InfluxDB refused the query: ${chunk.error ?? failed?.error}`);
    return chunk;
  }

  private post(
    statement: string,
    database: string | undefined,
    extra: Record<string, string> = {},
  ): Promise<Response> {
    const body = new URLSearchParams({ q: statement, epoch: 'ns', ...extra });
    if (database !== undefined) body.set('db', database);
    return fetch(new URL('/query', this.options.url), {
      method: 'POST',
      headers: {
        authorization: this.authorization,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body,
      // An export streams for as long as it takes; a plain query gets a minute.
      signal: extra.chunked ? undefined : AbortSignal.timeout(60_000),
    });
  }
}

/** A JSON number from InfluxDB, kept as its exact text. */
export class NumberText {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
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
