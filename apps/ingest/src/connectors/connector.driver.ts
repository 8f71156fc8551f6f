import type { Logger } from '@nestjs/common';
import type { z } from 'zod';
import type { OutboundFetch, OutboundPolicy } from '@iotwins/http';
import type { MappingEvaluator } from './sandbox/mapping-sandbox';
import type { NatsClient } from '@iotwins/messaging';
import type { Point, TelemetryLimits } from '@iotwins/telemetry';
import type { IngestConfig } from '../app.config';
import type { ConnectorCounters } from './connector.schema';
import type { SecretField } from './connector.secret-field';

/** A problem with one field of a configuration, as the API reports it (RFC 9457 `errors`). */
export interface ConfigProblem {
  pointer: string;
  detail: string;
}

/** What a configuration check may consult: the tenant it is declared for, NATS, settings. */
export interface CheckTarget {
  tenant: string;
  nats: NatsClient;
  settings: IngestConfig;
}

/** What one ingest call stored and refused: the caller counts and reports it. */
export interface IngestOutcome {
  /** Points JetStream stored (acknowledged) before the promise resolved. */
  written: number;
  /** Records refused by validation (syntax, limits, field types): nothing of them stored. */
  refused: number;
  /** The reasons, at most a few, each naming the record. */
  errors: string[];
}

/**
 * The one way a source connector stores data: the same validation (parser, limits, field
 * types), rate limit and JetStream publish as HTTP ingest, for the connector's tenant. Every
 * method resolves only after JetStream stored what it reports as written, so a source may
 * acknowledge upstream then, and not before.
 */
export interface ConnectorIngest {
  /** Limits and the timestamp for points without one, for parsers a driver runs itself. */
  limits(): { limits: TelemetryLimits; receivedAt: bigint };
  /** Points already parsed (e.g. by a JSONata mapping or a node-opcua value): field types checked, then published. */
  points(points: readonly Point[]): Promise<IngestOutcome>;
  /**
   * A message payload exactly as MQTT ingest takes it: JSON (one point or `{ "points": [...] }`,
   * all or nothing, integer times in ms) or line protocol (good lines kept, times in ns).
   * `measurement` is the default for JSON points that name none.
   */
  payload(payload: Buffer, options?: { measurement?: string }): Promise<IngestOutcome>;
}

/** Everything a running connector gets from the platform. One context per run. */
export interface ConnectorContext<C> {
  readonly tenant: string;
  readonly id: string;
  readonly name: string;
  /** When the connector was declared (ISO 8601): e.g. where a new event consumer starts. */
  readonly createdAt: string;
  /** The validated settings of the ingest app (endpoints and limits drivers need). */
  readonly settings: IngestConfig;
  /** The stored configuration: secrets sealed, opened on use with `secret`. */
  readonly config: C;
  /** Aborted when this run must end: pause, delete, new configuration, lease lost, shutdown. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** The service's NATS connection (sinks consume the tenant's subjects through `connector.sink`). */
  readonly nats: NatsClient;
  readonly ingest: ConnectorIngest;
  /**
   * The only way a connector calls HTTP: tenant-chosen URLs may not reach internal addresses
   * unless OUTBOUND_ALLOWED_CIDRS allows them (checked at connect time, after every redirect).
   */
  readonly fetch: OutboundFetch;
  /** For clients that connect by themselves (AMQP, MQTT, OPC-UA): `outbound.assertHost(host)` first. */
  readonly outbound: OutboundPolicy;
  /**
   * The only way a connector evaluates the tenant's JSONata: in a worker with a time and heap
   * budget, off the event loop (connectors/sandbox). A budget overrun rejects; report it with
   * `failed`.
   */
  readonly mapping: MappingEvaluator;
  /** A secret's value; never log it or put it in an error. */
  secret(field: SecretField): string;
  /** False once this replica lost the lease: stop before the next unit of work. */
  isLeader(): boolean;
  /**
   * Adds to the status counters (saved to KV about once a second, not on every call). With a
   * `key` (e.g. a message's content hash), the key is saved with the counters, so that
   * `wasCounted(key)` recognises the unit when it is delivered again after a crash.
   */
  count(delta: Partial<ConnectorCounters>, key?: string): void;
  /** Whether a unit of work with this key went into the counters lately (see `count`). */
  wasCounted(key: string): boolean;
  /** The connector works: state running, last success now. */
  succeeded(): void;
  /** The connector cannot work right now: state failing, with the reason (no secrets in it). */
  failed(reason: string): void;
  /** A problem that does not stop it (e.g. records refused): shown as the last error, state kept. */
  warn(reason: string): void;
  /** A message or record given up on after its retries: counted, the last one's reason shown. */
  deadLettered(what: string, reason: string): void;
  /** The read position saved for this connector, or undefined before the first save. */
  loadCursor(): Promise<unknown>;
  /** Saves the read position; call only after what came before it is stored. */
  saveCursor(cursor: unknown): Promise<void>;
  /**
   * Saves the status now rather than within the next second: after a unit of work whose
   * cursor was saved, so the counters survive a kill -9 as exactly as the cursor does.
   */
  saveStatus(): Promise<void>;
}

/**
 * One type of connector (http-poller, amqp-source, webhook-sink, ...). Drivers are listed in
 * connector.types.ts; the REST API, the runner and the docs take every type from there.
 */
export interface ConnectorDriver<C = unknown> {
  readonly type: string;
  readonly kind: 'source' | 'sink' | 'converter';
  /**
   * The configuration, validated per field. Secrets are `secretField` (connector.secret-field):
   * sent as `{ "value": ... }`, sealed before storage, shown as `{ "set": true }`.
   */
  readonly configSchema: z.ZodType<C>;
  /**
   * Checks the schema cannot make (e.g. JSONata syntax, or that a named bucket is the
   * tenant's), at create and update.
   */
  check?(config: C, target: CheckTarget): ConfigProblem[] | Promise<ConfigProblem[]>;
  /** True when a new configuration reads from elsewhere, so the saved cursor must be dropped. */
  movesCursor?(before: C, after: C): boolean;
  /**
   * Runs the connector until `ctx.signal` is aborted, then resolves once it has let go of
   * everything (connections, consumers, timers). Errors it can recover from are reported
   * with `ctx.failed` and retried inside; a rejection also marks it failing, and the runner
   * starts it again after a back-off.
   */
  run(ctx: ConnectorContext<C>): Promise<void>;
  /** Removes what the connector owns outside its KV keys (e.g. a durable consumer), on delete. */
  cleanup?(target: { tenant: string; id: string; config: C; nats: NatsClient }): Promise<void>;
}
