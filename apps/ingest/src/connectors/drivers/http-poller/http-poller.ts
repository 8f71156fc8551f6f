import type { Point, Precision, TelemetryLimits } from '@iotwins/telemetry';
import { describeFetchError, type OutboundFetch } from '@iotwins/http';
import type { IngestOutcome } from '../../connector.driver';
import { MappingInputError, mapDocument } from '../../connector.mapping';
import type { MappingEvaluator } from '../../sandbox/mapping-sandbox';
import { redactUrl } from '../../redact-url';
import type { HttpPollerConfig, HttpPollerCursor } from './http-poller.config';

/** What a poll needs from the platform: time, limits, secrets, storage and the cursor store. */
export interface PollerPorts {
  limits(): { limits: TelemetryLimits; receivedAt: bigint };
  /** Resolves once JetStream stored every point it reports written. */
  store(points: Point[]): Promise<IngestOutcome>;
  saveCursor(cursor: HttpPollerCursor): Promise<void>;
  /** Opened secret values of the connector's auth, as headers. */
  authHeaders(): Record<string, string>;
  /** After each page is stored and its cursor saved: progress for the status. */
  pageDone(page: PageOutcome): Promise<void>;
  /** False once this replica lost the lease: stop before the next page. */
  stillLeader(): boolean;
  /** HTTP that may not reach internal addresses (ctx.fetch). */
  fetch: OutboundFetch;
  /** The mapping sandbox (ctx.mapping) and the tenant it evaluates for. */
  mapping: MappingEvaluator;
  tenant: string;
}

export interface PageOutcome {
  recordsRead: number;
  pointsWritten: number;
  recordsRefused: number;
  refusal?: string;
}

export interface PollOutcome {
  pages: number;
  recordsRead: number;
  pointsWritten: number;
  recordsRefused: number;
  /** The first refused record's reason, for the status. */
  refusal?: string;
}

export class PollError extends Error {}

/** Pages one poll reads at most, so a runaway next link cannot loop forever. */
const MAX_PAGES_PER_POLL = 1_000;

/**
 * One poll of an HTTP JSON API: from the stored cursor, page by page, mapping each page to
 * points, storing them and only then advancing the cursor, so a crash re-reads at most the
 * page in flight (and its points carry content-derived message ids, which JetStream
 * deduplicates). The last page's ETag is kept, so an unchanged API is answered 304.
 */
export async function pollOnce(
  config: HttpPollerConfig,
  start: HttpPollerCursor,
  ports: PollerPorts,
): Promise<PollOutcome> {
  const outcome: PollOutcome = { pages: 0, recordsRead: 0, pointsWritten: 0, recordsRefused: 0 };
  let cursor: HttpPollerCursor = { ...start };
  while (outcome.pages < MAX_PAGES_PER_POLL && ports.stillLeader()) {
    const url = pageUrl(config, cursor);
    const headers: Record<string, string> = { accept: 'application/json', ...ports.authHeaders() };
    if (cursor.etag && (cursor.url ?? url) === url) headers['if-none-match'] = cursor.etag;
    let response: Response;
    try {
      response = await ports.fetch(url, {
        headers,
        signal: AbortSignal.timeout(config.timeoutSeconds * 1000),
        redirect: 'follow',
      });
    } catch (error) {
      throw new PollError(`GET ${redactUrl(url)} failed: ${describeFetchError(error)}`);
    }
    if (response.status === 304) return outcome;
    if (!response.ok) {
      throw new PollError(
        `GET ${redactUrl(url)} answered ${response.status} ${response.statusText}`,
      );
    }
    const document = await readTextUpTo(response, ports.mapping.maxInputBytes).catch(
      (error: Error) => {
        throw new PollError(`GET ${redactUrl(url)}: ${error.message}`);
      },
    );
    outcome.pages += 1;
    const { limits, receivedAt } = ports.limits();
    const next = config.pagination.type === 'next-link' ? config.pagination.next : undefined;
    let mapped: Awaited<ReturnType<typeof mapDocument>>;
    try {
      // Parsed, mapped and the next link found in the sandbox, never on the event loop.
      mapped = await mapDocument(
        ports.mapping,
        ports.tenant,
        { mapping: config.mapping, next },
        document,
        {
          precision: config.precision as Precision,
          defaultTimestamp: receivedAt,
          limits,
        },
      );
    } catch (error) {
      if (error instanceof MappingInputError)
        throw new PollError(`GET ${redactUrl(url)} did not answer JSON`);
      throw error;
    }
    const page: PageOutcome = {
      recordsRead: mapped.records,
      pointsWritten: 0,
      recordsRefused: mapped.errors.length,
    };
    if (mapped.errors.length > 0) {
      const first = mapped.errors[0]!;
      page.refusal = `record ${first.index} of ${redactUrl(url)}: ${first.detail}`;
    }
    if (mapped.points.length > 0) {
      const stored = await ports.store(mapped.points);
      page.pointsWritten = stored.written;
      page.recordsRefused += stored.refused;
      if (stored.errors.length > 0) page.refusal ??= `${redactUrl(url)}: ${stored.errors[0]}`;
    }
    const etag = response.headers.get('etag') ?? undefined;
    const moved = nextCursor(config, cursor, url, mapped.next, mapped.records, etag);
    // Only now, with the points in JetStream, does the read position move on.
    await ports.saveCursor(moved.cursor);
    outcome.recordsRead += page.recordsRead;
    outcome.pointsWritten += page.pointsWritten;
    outcome.recordsRefused += page.recordsRefused;
    outcome.refusal ??= page.refusal;
    await ports.pageDone(page);
    cursor = moved.cursor;
    if (!moved.more) return outcome;
  }
  return outcome;
}

function pageUrl(config: HttpPollerConfig, cursor: HttpPollerCursor): string {
  const { url, pagination } = config;
  if (pagination.type === 'page-param') {
    const target = new URL(url);
    target.searchParams.set(pagination.param, String(cursor.page ?? pagination.start));
    return target.toString();
  }
  return cursor.url ?? url;
}

function nextCursor(
  config: HttpPollerConfig,
  cursor: HttpPollerCursor,
  url: string,
  next: unknown,
  records: number,
  etag: string | undefined,
): { cursor: HttpPollerCursor; more: boolean } {
  const { pagination } = config;
  switch (pagination.type) {
    case 'none':
      return { cursor: { url, etag }, more: false };
    case 'page-param': {
      const page = cursor.page ?? pagination.start;
      // An empty page is the end for now: ask for it again next time.
      if (records === 0) return { cursor: { page, url, etag }, more: false };
      return { cursor: { page: page + 1 }, more: true };
    }
    case 'next-link': {
      if (typeof next !== 'string' || next === '') return { cursor: { url, etag }, more: false };
      const resolved = new URL(next, url).toString();
      if (resolved === url) return { cursor: { url, etag }, more: false };
      return { cursor: { url: resolved }, more: true };
    }
  }
}

/** A response body as text, refused past `maxBytes` (the mapping's input limit) as it streams in. */
async function readTextUpTo(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(
      `the page is ${declared} bytes, over the mapping's input limit of ${maxBytes} bytes`,
    );
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`the page is over the mapping's input limit of ${maxBytes} bytes`);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks).toString('utf8');
}
