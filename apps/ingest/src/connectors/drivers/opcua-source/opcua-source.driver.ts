import { setTimeout as sleep } from 'node:timers/promises';
import { PointError, checkPointLimits, type Point } from '@iotwins/telemetry';
import type { ConnectorContext, ConnectorDriver } from '../../connector.driver';
import {
  opcuaConfigProblems,
  opcuaSourceConfigSchema,
  type OpcuaSourceConfig,
} from './opcua-source.config';
import { OpcuaSubscription, type OpcuaChange } from './opcua-subscription';
import { opcuaPoint } from './opcua-values';

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
/**
 * Points held while JetStream cannot take them (NATS away). OPC-UA has no replay of past
 * changes, so they are kept in memory up to this bound; past it the oldest are dropped.
 */
const MAX_PENDING_POINTS = 100_000;

/**
 * Subscribes to monitored items of an OPC-UA server (a machine tool's controller): each data
 * change becomes a point (the item's measurement, tags and field; the field type from the
 * OPC-UA data type; the source timestamp as its time), stored batch by batch through ingest.
 * When the server goes away it reports why and opens a new session and subscription.
 */
export const opcuaSourceDriver: ConnectorDriver<OpcuaSourceConfig> = {
  type: 'opcua-source',
  kind: 'source',
  configSchema: opcuaSourceConfigSchema,
  check: opcuaConfigProblems,

  async run(ctx) {
    const store = new PointStore(ctx);
    const storing = store.run();
    let delay = FIRST_RETRY_MS;
    while (!ctx.signal.aborted) {
      const connection = new OpcuaSubscription({
        config: ctx.config,
        userSecret: userSecret(ctx),
        assertHost: (host) => ctx.outbound.assertHost(host),
        onChanges: (changes) => store.add(changes),
      });
      try {
        await abortable(connection.open(), ctx.signal);
        ctx.succeeded();
        store.connected = true;
        delay = FIRST_RETRY_MS;
        const reason = await abortable(connection.lost, ctx.signal);
        store.connected = false;
        ctx.failed(`${reason}; reconnecting`);
      } catch (error) {
        if (!ctx.signal.aborted) ctx.failed((error as Error).message);
      } finally {
        store.connected = false;
        await connection.close();
      }
      await sleep(delay, undefined, { signal: ctx.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
    store.stop();
    await storing;
  },
};

function userSecret(ctx: ConnectorContext<OpcuaSourceConfig>): string | undefined {
  const { user } = ctx.config;
  if (user.type === 'username') return ctx.secret(user.password);
  if (user.type === 'certificate') return ctx.secret(user.privateKey);
  return undefined;
}

/** Resolves or rejects as `work` does, or rejects at once when the run is aborted. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

/**
 * Turns changes into points and stores them in order, one ingest call per batch; a failed
 * call is retried with the same points (JetStream deduplicates a batch stored twice) so a
 * short NATS outage loses nothing.
 */
class PointStore {
  private pending: Point[] = [];
  private wake: (() => void) | undefined;
  private stopped = false;
  /** While the subscription is up, a stored batch is a success; otherwise the failure stays shown. */
  connected = false;

  constructor(private readonly ctx: ConnectorContext<OpcuaSourceConfig>) {}

  add(changes: OpcuaChange[]): void {
    const { limits, receivedAt } = this.ctx.ingest.limits();
    const refusals: string[] = [];
    for (const change of changes) {
      const result = opcuaPoint(change.item, change.value, receivedAt);
      if ('refused' in result) {
        refusals.push(result.refused);
        continue;
      }
      try {
        checkPointLimits(result.point, limits);
        this.pending.push(result.point);
      } catch (error) {
        if (!(error instanceof PointError)) throw error;
        refusals.push(`${change.item.nodeId}: ${error.message}`);
      }
    }
    if (refusals.length > 0) {
      this.ctx.count({ recordsRead: refusals.length, recordsRefused: refusals.length });
      this.ctx.warn(`refused ${refusals[0]}`);
    }
    if (this.pending.length > MAX_PENDING_POINTS) {
      const dropped = this.pending.length - MAX_PENDING_POINTS;
      this.pending.splice(0, dropped);
      this.ctx.count({ recordsRefused: dropped });
      this.ctx.warn(`${dropped} changes dropped: JetStream could not take them in time`);
    }
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async run(): Promise<void> {
    let delay = FIRST_RETRY_MS;
    while (!this.stopped) {
      if (this.pending.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const { maxPointsPerBatch } = this.ctx.ingest.limits().limits;
      const batch = this.pending.slice(0, maxPointsPerBatch);
      try {
        const outcome = await this.ctx.ingest.points(batch);
        this.pending.splice(0, batch.length);
        this.ctx.count({
          recordsRead: batch.length,
          pointsWritten: outcome.written,
          recordsRefused: outcome.refused,
        });
        if (this.connected) this.ctx.succeeded();
        if (outcome.refused > 0) this.ctx.warn(`refused ${outcome.errors[0] ?? 'points'}`);
        delay = FIRST_RETRY_MS;
      } catch (error) {
        // Kept in order and retried; the connection to the server stays up meanwhile.
        this.ctx.failed(`storing points failed: ${(error as Error).message}`);
        await sleep(delay, undefined, { signal: this.ctx.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }
}
