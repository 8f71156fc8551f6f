import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Collection } from 'mongodb';
import { ModelMetadataStore } from '../metadata/mongo.client';
import { isDuplicateKey } from '../models/models.repository';

export interface RolloutReport {
  state: 'pending' | 'pulled' | 'running' | 'failed';
  version?: number;
  reason?: string;
  reportedAt: Date;
}

export interface NodeDocument {
  _id: string;
  tenant: string;
  name: string;
  labels: Record<string, string>;
  hardware: Record<string, unknown>;
  runtime: Record<string, unknown>;
  registeredAt: Date;
  lastSeen: Date | null;
  online: boolean;
  /** What the node last said it runs, per deployment. */
  running: { deployment: string; version: number }[];
  /** The node's rollout status per deployment name (DNS labels: safe field names). */
  rollout: Record<string, RolloutReport>;
}

export class DuplicateNodeError extends Error {}

/** The edge_nodes collection, the only place that queries it. */
@Injectable()
export class NodesRepository implements OnModuleInit {
  constructor(private readonly store: ModelMetadataStore) {}

  private get nodes(): Collection<NodeDocument> {
    return this.store.client.db().collection<NodeDocument>('edge_nodes');
  }

  async onModuleInit(): Promise<void> {
    await this.nodes.createIndex({ tenant: 1, name: 1 }, { unique: true, name: 'tenant_name' });
    await this.nodes.createIndex({ online: 1, lastSeen: 1 }, { name: 'online_last_seen' });
  }

  async insert(node: NodeDocument): Promise<void> {
    try {
      await this.nodes.insertOne(node);
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateNodeError(node.name);
      throw error;
    }
  }

  find(tenant: string, name: string): Promise<NodeDocument | null> {
    return this.nodes.findOne({ tenant, name });
  }

  list(tenant: string, after: string | undefined, limit: number): Promise<NodeDocument[]> {
    return this.nodes
      .find(after === undefined ? { tenant } : { tenant, name: { $gt: after } })
      .sort({ name: 1 })
      .limit(limit + 1)
      .toArray();
  }

  all(tenant: string): Promise<NodeDocument[]> {
    return this.nodes.find({ tenant }).toArray();
  }

  updateFacts(
    tenant: string,
    name: string,
    facts: Partial<Pick<NodeDocument, 'labels' | 'hardware' | 'runtime'>>,
  ): Promise<NodeDocument | null> {
    return this.nodes.findOneAndUpdate(
      { tenant, name },
      { $set: facts },
      { returnDocument: 'after' },
    );
  }

  /** Records a heartbeat; returns the node as it was before (to tell a node coming online). */
  heartbeat(
    tenant: string,
    name: string,
    at: Date,
    extra: Partial<Pick<NodeDocument, 'runtime' | 'running'>>,
  ): Promise<NodeDocument | null> {
    return this.nodes.findOneAndUpdate(
      { tenant, name },
      { $set: { lastSeen: at, online: true, ...extra } },
      { returnDocument: 'before' },
    );
  }

  reportRollout(
    tenant: string,
    name: string,
    deployment: string,
    report: RolloutReport,
  ): Promise<NodeDocument | null> {
    return this.nodes.findOneAndUpdate(
      { tenant, name },
      { $set: { [`rollout.${deployment}`]: report } },
      { returnDocument: 'after' },
    );
  }

  /** Nodes marked online whose last heartbeat is older than `before`. */
  stale(before: Date): Promise<NodeDocument[]> {
    return this.nodes.find({ online: true, lastSeen: { $lt: before } }).toArray();
  }

  /** Marks one node offline unless a heartbeat came meanwhile; true if this call did it. */
  async markOffline(id: string, lastSeen: Date | null): Promise<boolean> {
    const result = await this.nodes.updateOne(
      { _id: id, online: true, lastSeen },
      { $set: { online: false } },
    );
    return result.modifiedCount === 1;
  }

  async delete(tenant: string, name: string): Promise<boolean> {
    return (await this.nodes.deleteOne({ tenant, name })).deletedCount === 1;
  }
}
