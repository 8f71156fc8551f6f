import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { OutboundPolicy, outboundFetch, type OutboundFetch } from '@iotwins/http';
import { MappingSandbox } from './sandbox/mapping-sandbox';
import { ConnectorKey, NatsClient } from '@iotwins/messaging';
import type { IngestConfig } from '../app.config';
import { IngestService } from '../telemetry/ingest.service';
import { ConnectorSecrets } from './connector-secrets';
import type { ConnectorContext, ConnectorDriver } from './connector.driver';
import { connectorIngest } from './connector.ingest';
import {
  COUNTED_KEYS_KEPT,
  emptyStatus,
  storedConnectorSchema,
  type ConnectorCounters,
  type ConnectorStatus,
  type StoredConnector,
} from './connector.schema';
import { connectorDriver } from './connector.types';
import { ConnectorsRepository } from './connectors.repository';

/** One connector's run on this replica: started when the lease is ours, aborted to stop. */
interface Run {
  abort: AbortController;
  done: Promise<void>;
}

interface Slot {
  connector: StoredConnector;
  leader: boolean;
  leaseRenewedAt: number;
  run: Run | undefined;
  /** Failed starts in a row, for the back-off before the next. */
  failures: number;
  startAfter: number;
  status: ConnectorStatus | undefined;
  statusDirty: boolean;
  /** The status save in progress: saves of one connector run one after another. */
  saving?: Promise<void>;
  /** The save that starts when `saving` ends, shared by everyone who asked meanwhile. */
  queuedSave?: Promise<void>;
}

const TICK_MS = 250;
const STATUS_FLUSH_MS = 1_000;
const MAX_RESTART_DELAY_MS = 60_000;

/**
 * Runs the connectors of every tenant, each on exactly one replica: it watches the
 * configurations (changes apply without a restart), holds a lease per connector in KV,
 * renewed at a third of its lifetime and taken over by another replica once it expires, and
 * runs each connector's driver while it holds the lease.
 */
@Injectable()
export class ConnectorRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ConnectorRunner.name);
  /** Unique per process, so a restarted replica does not mistake its old lease for its own. */
  readonly runnerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly slots = new Map<string, Slot>();
  private readonly secrets: ConnectorSecrets;
  private readonly fetch: OutboundFetch;
  private timer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private stopWatching: (() => void) | undefined;
  private ticking = false;

  constructor(
    private readonly repository: ConnectorsRepository,
    private readonly ingest: IngestService,
    private readonly nats: NatsClient,
    private readonly outbound: OutboundPolicy,
    private readonly sandbox: MappingSandbox,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
  ) {
    this.secrets = new ConnectorSecrets(config.CONNECTORS_SECRET_KEY);
    this.fetch = outboundFetch(outbound);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.CONNECTORS_ENABLED) return;
    try {
      await this.watch();
    } catch (error) {
      // Connectors must never take the write paths down with them (e.g. a NATS login
      // without the ingest_connectors permissions): log and run none on this replica.
      this.logger.error({ err: error }, 'connectors cannot be watched; none run on this replica');
      return;
    }
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.flushTimer = setInterval(() => void this.flushStatuses(), STATUS_FLUSH_MS);
  }

  private async watch(): Promise<void> {
    this.stopWatching = await this.repository.watchConfigs((entry) => {
      if (entry.operation !== 'PUT') {
        void this.forget(entry.key);
        return;
      }
      try {
        const connector = storedConnectorSchema.parse(entry.json());
        const slot = this.slots.get(entry.key);
        if (slot) {
          if (slot.connector.updatedAt === connector.updatedAt) return;
          slot.connector = connector;
          // A changed configuration (or pause) ends the current run; the next tick decides.
          slot.failures = 0;
          slot.startAfter = 0;
          void this.stop(slot);
        } else {
          this.slots.set(entry.key, {
            connector,
            leader: false,
            leaseRenewedAt: 0,
            run: undefined,
            failures: 0,
            startAfter: 0,
            status: undefined,
            statusDirty: false,
          });
        }
      } catch (error) {
        this.logger.warn({ key: entry.key, err: error }, 'unreadable connector skipped');
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.stopWatching?.();
    await Promise.all([...this.slots.values()].map((slot) => this.stop(slot)));
    await this.flushStatuses();
    for (const slot of this.slots.values()) {
      if (slot.leader) {
        const { tenant, id } = slot.connector;
        await this.repository.releaseLease(tenant, id, this.runnerId).catch(() => undefined);
      }
    }
  }

  private async forget(key: string): Promise<void> {
    const slot = this.slots.get(key);
    if (!slot) return;
    this.slots.delete(key);
    slot.leader = false;
    slot.statusDirty = false;
    await this.stop(slot);
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const ttl = this.config.CONNECTORS_LEASE_SECONDS * 1000;
      for (const slot of this.slots.values()) {
        const { tenant, id, paused } = slot.connector;
        if (paused) {
          if (slot.leader) {
            slot.leader = false;
            await this.stop(slot);
            await this.flushStatus(slot, true);
            await this.repository.releaseLease(tenant, id, this.runnerId);
          }
          continue;
        }
        if (Date.now() - slot.leaseRenewedAt >= ttl / 3) {
          const wasLeader = slot.leader;
          slot.leader = await this.repository.acquireLease(tenant, id, this.runnerId, ttl);
          slot.leaseRenewedAt = slot.leader ? Date.now() : 0;
          if (slot.leader && !wasLeader) {
            slot.status = await this.repository.status(tenant, id);
            this.logger.log({ tenant, connector: id }, 'connector lease taken');
          }
          if (!slot.leader && wasLeader) {
            this.logger.warn({ tenant, connector: id }, 'connector lease lost; stopping it here');
            void this.stop(slot);
          }
        }
        if (slot.leader && !slot.run && Date.now() >= slot.startAfter) this.start(slot);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'connector supervision failed; retrying');
    } finally {
      this.ticking = false;
    }
  }

  private start(slot: Slot): void {
    const connector = slot.connector;
    const driver = connectorDriver(connector.type);
    const abort = new AbortController();
    const context = this.context(slot, abort.signal, driver);
    const done = (async () => {
      if (!driver) throw new Error(`this platform has no connector type "${connector.type}"`);
      const config = driver.configSchema.safeParse(connector.config);
      if (!config.success)
        throw new Error(`stored configuration unreadable: ${config.error.message}`);
      await driver.run({ ...context, config: config.data });
      if (!abort.signal.aborted) throw new Error('the connector stopped by itself');
    })()
      .then(() => {
        slot.failures = 0;
      })
      .catch((error: unknown) => {
        if (abort.signal.aborted) return;
        slot.failures += 1;
        const delay = Math.min(1_000 * 2 ** (slot.failures - 1), MAX_RESTART_DELAY_MS);
        slot.startAfter = Date.now() + delay;
        context.failed(`${(error as Error).message} (restarting in ${Math.round(delay / 1000)} s)`);
        this.logger.warn(
          { tenant: connector.tenant, connector: connector.id, err: (error as Error).message },
          'connector run failed',
        );
      })
      .finally(() => {
        if (slot.run?.abort === abort) slot.run = undefined;
      });
    slot.run = { abort, done };
  }

  private async stop(slot: Slot): Promise<void> {
    const run = slot.run;
    if (!run) return;
    run.abort.abort();
    await run.done;
  }

  private context(
    slot: Slot,
    signal: AbortSignal,
    driver: ConnectorDriver | undefined,
  ): ConnectorContext<unknown> {
    const connector = slot.connector;
    const { tenant, id } = connector;
    const status = (): ConnectorStatus => {
      slot.status ??= emptyStatus();
      slot.statusDirty = true;
      slot.status.runner = this.runnerId;
      return slot.status;
    };
    const now = (): string => new Date().toISOString();
    return {
      tenant,
      id,
      name: connector.name,
      createdAt: connector.createdAt,
      settings: this.config,
      config: connector.config,
      signal,
      logger: this.logger,
      nats: this.nats,
      fetch: this.fetch,
      outbound: this.outbound,
      mapping: this.sandbox,
      ingest: connectorIngest(this.ingest, tenant, `connector-${driver?.type ?? connector.type}`),
      secret: (field) => this.secrets.openField(field, tenant, id),
      isLeader: () => slot.leader && this.slots.get(keyOf(connector)) === slot,
      count: (delta: Partial<ConnectorCounters>, key?: string) => {
        const current = status();
        for (const [name, value] of Object.entries(delta) as [keyof ConnectorCounters, number][])
          current[name] += value;
        if (key !== undefined) {
          const keys = (current.countedKeys ??= []);
          keys.push(key);
          if (keys.length > COUNTED_KEYS_KEPT) keys.splice(0, keys.length - COUNTED_KEYS_KEPT);
        }
      },
      wasCounted: (key) => slot.status?.countedKeys?.includes(key) ?? false,
      succeeded: () => {
        const current = status();
        current.state = 'running';
        current.lastSuccessAt = now();
      },
      failed: (reason) => {
        const current = status();
        current.state = 'failing';
        current.lastError = reason;
        current.lastErrorAt = now();
      },
      warn: (reason) => {
        const current = status();
        current.lastError = reason;
        current.lastErrorAt = now();
      },
      deadLettered: (what, reason) => {
        const current = status();
        current.deadLettered += 1;
        current.lastDeadLetter = { what, reason, at: now() };
      },
      loadCursor: () => this.repository.cursor(tenant, id),
      saveCursor: (cursor) => this.repository.saveCursor(tenant, id, cursor),
      saveStatus: () => this.flushStatus(slot, false),
    };
  }

  private async flushStatuses(): Promise<void> {
    for (const slot of this.slots.values()) await this.flushStatus(slot, false);
  }

  /**
   * Saves a changed status, only while this replica holds the lease (or on its way out).
   * Saves run one after another, so a caller that resolves knows that every count it made
   * before calling is in KV (a save already in flight may have snapshotted the status before
   * them): a driver may then acknowledge what it counted (amqp-source does).
   */
  private flushStatus(slot: Slot, leaving: boolean): Promise<void> {
    // Callers during a save share the one after it (it snapshots the status when it starts,
    // so it holds their counts): one KV write per round, however many units wait on it.
    if (slot.queuedSave) return slot.queuedSave;
    const start = (): Promise<void> => {
      const saving = this.saveStatusNow(slot, leaving).finally(() => {
        if (slot.saving === saving) slot.saving = undefined;
      });
      slot.saving = saving;
      return saving;
    };
    if (!slot.saving) return start();
    const queued = slot.saving.then(() => {
      slot.queuedSave = undefined;
      return start();
    });
    slot.queuedSave = queued;
    return queued;
  }

  private async saveStatusNow(slot: Slot, leaving: boolean): Promise<void> {
    if (!slot.statusDirty || !slot.status || (!slot.leader && !leaving)) return;
    slot.statusDirty = false;
    const { tenant, id } = slot.connector;
    await this.repository.saveStatus(tenant, id, slot.status).catch((error: unknown) => {
      slot.statusDirty = true;
      this.logger.warn({ tenant, connector: id, err: error }, 'connector status not saved');
    });
  }
}

function keyOf(connector: StoredConnector): string {
  return ConnectorKey.config(connector.tenant, connector.id);
}
