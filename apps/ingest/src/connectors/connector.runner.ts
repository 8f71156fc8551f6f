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
import { ConnectorKey } from '@iotwins/messaging';
import { LineBatch } from '@iotwins/telemetry';
import type { IngestConfig } from '../app.config';
import { IngestService } from '../telemetry/ingest.service';
import { ConnectorSecrets } from './connector-secrets';
import {
  storedConnectorSchema,
  type ConnectorStatus,
  type StoredConnector,
} from './connector.schema';
import { ConnectorsRepository } from './connectors.repository';
import { pollOnce } from './http-poller';

interface Slot {
  connector: StoredConnector;
  leader: boolean;
  leaseRenewedAt: number;
  nextPollAt: number;
  polling: boolean;
  status: ConnectorStatus | undefined;
}

const TICK_MS = 250;

/**
 * Runs the connectors of every tenant, each on exactly one replica: it watches the
 * configurations (changes apply without a restart), holds a lease per connector in KV,
 * renewed at a third of its lifetime and taken over by another replica once it expires.
 */
@Injectable()
export class ConnectorRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ConnectorRunner.name);
  /** Unique per process, so a restarted replica does not mistake its old lease for its own. */
  readonly runnerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly slots = new Map<string, Slot>();
  private readonly secrets: ConnectorSecrets;
  private timer: NodeJS.Timeout | undefined;
  private stopWatching: (() => void) | undefined;
  private ticking = false;

  constructor(
    private readonly repository: ConnectorsRepository,
    private readonly ingest: IngestService,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
  ) {
    this.secrets = new ConnectorSecrets(config.CONNECTORS_SECRET_KEY);
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
  }

  private async watch(): Promise<void> {
    this.stopWatching = await this.repository.watchConfigs((entry) => {
      if (entry.operation !== 'PUT') {
        this.forget(entry.key);
        return;
      }
      try {
        const connector = storedConnectorSchema.parse(entry.json());
        const slot = this.slots.get(entry.key);
        if (slot) {
          slot.connector = connector;
          slot.nextPollAt = 0; // a changed configuration polls at once
        } else {
          this.slots.set(entry.key, {
            connector,
            leader: false,
            leaseRenewedAt: 0,
            nextPollAt: 0,
            polling: false,
            status: undefined,
          });
        }
      } catch (error) {
        this.logger.warn({ key: entry.key, err: error }, 'unreadable connector skipped');
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopWatching?.();
    for (const slot of this.slots.values()) {
      if (slot.leader) {
        const { tenant, id } = slot.connector;
        await this.repository.releaseLease(tenant, id, this.runnerId).catch(() => undefined);
      }
    }
  }

  private forget(key: string): void {
    const slot = this.slots.get(key);
    if (slot) slot.leader = false;
    this.slots.delete(key);
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
            slot.nextPollAt = 0;
            this.logger.log({ tenant, connector: id }, 'connector lease taken');
          }
        }
        if (slot.leader && !slot.polling && Date.now() >= slot.nextPollAt) {
          slot.polling = true;
          void this.poll(slot).finally(() => {
            slot.polling = false;
            slot.nextPollAt = Date.now() + slot.connector.config.intervalSeconds * 1000;
          });
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'connector supervision failed; retrying');
    } finally {
      this.ticking = false;
    }
  }

  private async poll(slot: Slot): Promise<void> {
    const connector = slot.connector;
    const { tenant, id } = connector;
    const status = slot.status ?? (await this.repository.status(tenant, id));
    slot.status = status;
    try {
      const cursor = await this.repository.cursor(tenant, id);
      await pollOnce(connector, cursor, {
        limits: () => {
          const context = this.ingest.tenantContext(tenant, undefined);
          return { limits: context.limits, receivedAt: context.receivedAt };
        },
        store: (points) =>
          this.ingest.write(
            this.ingest.tenantContext(tenant, undefined),
            LineBatch.of(points),
            `connector-http-poller`,
          ),
        saveCursor: (next) => this.repository.saveCursor(tenant, id, next),
        pageDone: async (page) => {
          status.recordsRead += page.recordsRead;
          status.pointsWritten += page.pointsWritten;
          status.recordsRefused += page.recordsRefused;
          const now = new Date().toISOString();
          if (page.refusal) {
            status.lastError = `refused ${page.refusal}`;
            status.lastErrorAt = now;
          }
          status.state = 'running';
          status.lastSuccessAt = now;
          status.runner = this.runnerId;
          if (slot.leader) await this.repository.saveStatus(tenant, id, status);
        },
        authHeaders: () => this.authHeaders(connector),
        stillLeader: () => slot.leader && this.slots.get(keyOf(connector)) === slot,
      });
      // A poll that found nothing new (304, empty page) is a success too.
      status.state = 'running';
      status.lastSuccessAt = new Date().toISOString();
    } catch (error) {
      // Never the secret: errors name the URL without its query and the status code.
      status.state = 'failing';
      status.lastError = (error as Error).message;
      status.lastErrorAt = new Date().toISOString();
      this.logger.warn(
        { tenant, connector: id, reason: status.lastError },
        'connector poll failed',
      );
    }
    status.runner = this.runnerId;
    if (slot.leader) await this.repository.saveStatus(tenant, id, status).catch(() => undefined);
  }

  private authHeaders(connector: StoredConnector): Record<string, string> {
    const { auth } = connector.config;
    const open = (sealed: { sealed: string }): string =>
      this.secrets.open(sealed, connector.tenant, connector.id);
    switch (auth.type) {
      case 'none':
        return {};
      case 'bearer':
        return { authorization: `Bearer ${open(auth.token)}` };
      case 'basic':
        return {
          authorization: `Basic ${Buffer.from(`${auth.username}:${open(auth.password)}`).toString('base64')}`,
        };
      case 'api-key':
        return { [auth.header.toLowerCase()]: open(auth.key) };
    }
  }
}

function keyOf(connector: StoredConnector): string {
  return ConnectorKey.config(connector.tenant, connector.id);
}
