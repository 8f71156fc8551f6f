import { Injectable, OnModuleInit } from '@nestjs/common';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { CONNECTORS_KV, ConnectorKey, NatsClient } from '@iotwins/messaging';
import {
  connectorStatusSchema,
  emptyStatus,
  storedConnectorSchema,
  type ConnectorStatus,
  type StoredConnector,
} from './connector.schema';

export interface Lease {
  runner: string;
  expiresAt: number;
}

export class ConnectorConflictError extends Error {}

/**
 * Connectors in the NATS KV bucket ingest_connectors: configuration, status, cursor and
 * lease per connector. JetStream already backs ingest, a create is atomic with revision
 * checks across replicas, and every replica can watch the configurations.
 */
@Injectable()
export class ConnectorsRepository implements OnModuleInit {
  private kv: KV | undefined;

  constructor(private readonly nats: NatsClient) {}

  async onModuleInit(): Promise<void> {
    // Created by the operator's provisioning step (provisionNats); ingest may only use it.
    this.kv = await new Kvm(this.nats.nc).open(CONNECTORS_KV);
  }

  async find(
    tenant: string,
    id: string,
  ): Promise<{ connector: StoredConnector; revision: number } | undefined> {
    const entry = await this.store().get(ConnectorKey.config(tenant, id));
    if (!entry || entry.operation !== 'PUT') return undefined;
    return { connector: storedConnectorSchema.parse(entry.json()), revision: entry.revision };
  }

  async list(tenant: string): Promise<StoredConnector[]> {
    const keys = await this.store().keys(ConnectorKey.configsOf(tenant));
    const connectors: StoredConnector[] = [];
    for await (const key of keys) {
      const entry = await this.store().get(key);
      if (entry && entry.operation === 'PUT')
        connectors.push(storedConnectorSchema.parse(entry.json()));
    }
    return connectors.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async create(connector: StoredConnector): Promise<void> {
    await this.store().create(
      ConnectorKey.config(connector.tenant, connector.id),
      JSON.stringify(connector),
    );
  }

  /** Replaces a configuration if nobody changed it since `revision`. */
  async update(connector: StoredConnector, revision: number): Promise<void> {
    try {
      await this.store().update(
        ConnectorKey.config(connector.tenant, connector.id),
        JSON.stringify(connector),
        revision,
      );
    } catch (error) {
      if (/wrong last sequence/i.test((error as Error).message))
        throw new ConnectorConflictError('the connector changed meanwhile');
      throw error;
    }
  }

  async remove(tenant: string, id: string): Promise<void> {
    for (const key of [
      ConnectorKey.config(tenant, id),
      ConnectorKey.status(tenant, id),
      ConnectorKey.cursor(tenant, id),
      ConnectorKey.lease(tenant, id),
    ]) {
      await this.store().purge(key);
    }
  }

  async status(tenant: string, id: string): Promise<ConnectorStatus> {
    const entry = await this.store().get(ConnectorKey.status(tenant, id));
    if (!entry || entry.operation !== 'PUT') return emptyStatus();
    return connectorStatusSchema.parse(entry.json());
  }

  async saveStatus(tenant: string, id: string, status: ConnectorStatus): Promise<void> {
    await this.store().put(ConnectorKey.status(tenant, id), JSON.stringify(status));
  }

  /** The read position a connector saved, in its driver's own shape, or undefined. */
  async cursor(tenant: string, id: string): Promise<unknown> {
    const entry = await this.store().get(ConnectorKey.cursor(tenant, id));
    if (!entry || entry.operation !== 'PUT') return undefined;
    return entry.json();
  }

  async saveCursor(tenant: string, id: string, cursor: unknown): Promise<void> {
    await this.store().put(ConnectorKey.cursor(tenant, id), JSON.stringify(cursor));
  }

  async dropCursor(tenant: string, id: string): Promise<void> {
    await this.store().purge(ConnectorKey.cursor(tenant, id));
  }

  /**
   * Takes or renews the lease of a connector for `runner`: created if absent, renewed if
   * ours, taken over if expired, each with a revision check so two replicas never both win.
   * Returns the revision held, or undefined when another live runner holds it.
   */
  async acquireLease(tenant: string, id: string, runner: string, ttlMs: number): Promise<boolean> {
    const key = ConnectorKey.lease(tenant, id);
    const next: Lease = { runner, expiresAt: Date.now() + ttlMs };
    const entry = await this.store().get(key);
    try {
      if (!entry || entry.operation !== 'PUT') {
        if (entry) await this.store().update(key, JSON.stringify(next), entry.revision);
        else await this.store().create(key, JSON.stringify(next));
        return true;
      }
      const held = entry.json<Lease>();
      if (held.runner !== runner && held.expiresAt > Date.now()) return false;
      await this.store().update(key, JSON.stringify(next), entry.revision);
      return true;
    } catch (error) {
      // Another replica wrote the lease between our read and write: it won this round.
      if (/wrong last sequence|key exists/i.test((error as Error).message)) return false;
      throw error;
    }
  }

  async releaseLease(tenant: string, id: string, runner: string): Promise<void> {
    const key = ConnectorKey.lease(tenant, id);
    const entry = await this.store().get(key);
    if (entry?.operation === 'PUT' && entry.json<Lease>().runner === runner) {
      await this.store()
        .delete(key, { previousSeq: entry.revision })
        .catch(() => undefined);
    }
  }

  /** Every configuration now and every change after, until stopped. */
  async watchConfigs(onEntry: (entry: KvEntry) => void): Promise<() => void> {
    const watcher = await this.store().watch({ key: ConnectorKey.allConfigs });
    void (async () => {
      for await (const entry of watcher) onEntry(entry);
    })();
    return () => watcher.stop();
  }

  private store(): KV {
    if (!this.kv) throw new Error('the connectors bucket is not open yet');
    return this.kv;
  }
}
