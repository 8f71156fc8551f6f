import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { parse as parseLossless } from 'lossless-json';
import type { ReadinessCheck } from '@iotwins/observability';

export interface InfluxOptions {
  url: string;
  user: string;
  password: string;
}

export const INFLUX_OPTIONS = Symbol('INFLUX_OPTIONS');

const WRITE_TIMEOUT_MS = 30_000;
const DEFAULT_QUERY_TIMEOUT_MS = 60_000;
const NEWLINE = Buffer.from('\n');

/** InfluxDB answers errors as JSON `{ "error": ... }`, and some in plain text. */
function errorText(text: string): string {
  try {
    return (JSON.parse(text) as { error?: string }).error ?? text;
  } catch {
    return text;
  }
}

/**
 * Talks to InfluxDB through its v1 HTTP API (/write, /query), which InfluxDB 1.x, 2.x
 * (with DBRP mappings) and 3.x all serve.
 */
@Injectable()
export class InfluxClient implements OnModuleDestroy {
  private readonly authorization: string;
  private readonly https: boolean;
  private readonly agent: HttpAgent;

  constructor(@Inject(INFLUX_OPTIONS) private readonly options: InfluxOptions) {
    this.authorization = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
    this.https = new URL(options.url).protocol === 'https:';
    this.agent = this.https
      ? new HttpsAgent({ keepAlive: true })
      : new HttpAgent({ keepAlive: true });
  }

  onModuleDestroy(): void {
    this.agent.destroy();
  }

  /**
   * Writes line protocol (nanosecond precision) to a database: the parts are sent one after
   * the other, separated by newlines, so a batch of many messages is never joined into one
   * buffer. Resolves with the HTTP status and InfluxDB's error text, so the caller can tell a
   * refused batch from an outage; rejects when InfluxDB cannot be reached or does not answer.
   */
  write(
    database: string,
    parts: readonly Uint8Array[],
  ): Promise<{ status: number; error?: string }> {
    const url = new URL('/write', this.options.url);
    url.searchParams.set('db', database);
    url.searchParams.set('precision', 'ns');
    const length = parts.reduce((sum, part) => sum + part.length, 0) + parts.length - 1;
    const send = this.https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(url, {
        method: 'POST',
        agent: this.agent,
        timeout: WRITE_TIMEOUT_MS,
        headers: {
          authorization: this.authorization,
          'content-type': 'text/plain; charset=utf-8',
          'content-length': String(Math.max(length, 0)),
        },
      });
      request.on('timeout', () =>
        request.destroy(new Error(`InfluxDB did not answer within ${WRITE_TIMEOUT_MS} ms`)),
      );
      request.on('error', reject);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status === 204) return resolve({ status });
          resolve({ status, error: errorText(Buffer.concat(chunks).toString('utf8')) });
        });
      });
      // Corked, so the parts leave in as few system calls as the socket allows.
      request.cork();
      parts.forEach((part, i) => {
        if (i > 0) request.write(NEWLINE);
        request.write(part);
      });
      request.end();
    });
  }

  /**
   * Runs an InfluxQL statement. Times come as epoch nanoseconds and every number as its exact
   * text (NumberText): JSON.parse would round 64-bit integers and nanosecond times.
   */
  async query(
    statement: string,
    database?: string,
    timeoutMs = DEFAULT_QUERY_TIMEOUT_MS,
  ): Promise<InfluxQueryResult> {
    const response = await this.post(statement, database, {}, timeoutMs);
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

  /**
   * Runs a client's /query request in InfluxDB as another (read-only) user, so InfluxDB's own
   * authorization decides what it may see. The answer comes back as InfluxDB gave it.
   */
  async queryAs(
    credentials: { user: string; password: string },
    params: URLSearchParams,
    timeoutMs: number,
  ): Promise<{ status: number; contentType: string; body: string }> {
    const response = await fetch(new URL('/query', this.options.url), {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: params,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? 'application/json',
      body: await response.text(),
    };
  }

  private post(
    statement: string,
    database: string | undefined,
    extra: Record<string, string> = {},
    timeoutMs = DEFAULT_QUERY_TIMEOUT_MS,
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
      // An export streams for as long as it takes; a plain query gets its timeout. InfluxDB
      // kills a query whose client went away, so the abort ends the work there too.
      signal: extra.chunked ? undefined : AbortSignal.timeout(timeoutMs),
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
