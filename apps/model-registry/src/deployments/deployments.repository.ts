import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Collection } from 'mongodb';
import { ModelMetadataStore } from '../metadata/mongo.client';
import { isDuplicateKey } from '../models/models.repository';

export interface DeploymentDocument {
  _id: string;
  tenant: string;
  name: string;
  modelId: string;
  alias?: string;
  /** The pinned version, when no alias is followed. */
  pinnedVersion?: number;
  /** The version it runs now: the pinned one, or the alias resolved at the last render. */
  version: number | null;
  selector: string;
  kind: 'DaemonSet' | 'Deployment';
  replicas?: number;
  image: string;
  env: Record<string, string>;
  resources: Record<string, unknown>;
  revision: number;
  manifest: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export class DuplicateDeploymentError extends Error {}

/** The deployments collection, the only place that queries it. */
@Injectable()
export class DeploymentsRepository implements OnModuleInit {
  constructor(private readonly store: ModelMetadataStore) {}

  private get deployments(): Collection<DeploymentDocument> {
    return this.store.client.db().collection<DeploymentDocument>('deployments');
  }

  async onModuleInit(): Promise<void> {
    await this.deployments.createIndex(
      { tenant: 1, name: 1 },
      { unique: true, name: 'tenant_name' },
    );
    await this.deployments.createIndex({ tenant: 1, modelId: 1 }, { name: 'tenant_model' });
  }

  async insert(deployment: DeploymentDocument): Promise<void> {
    try {
      await this.deployments.insertOne(deployment);
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateDeploymentError(deployment.name);
      throw error;
    }
  }

  find(tenant: string, name: string): Promise<DeploymentDocument | null> {
    return this.deployments.findOne({ tenant, name });
  }

  list(tenant: string, after: string | undefined, limit: number): Promise<DeploymentDocument[]> {
    return this.deployments
      .find(after === undefined ? { tenant } : { tenant, name: { $gt: after } })
      .sort({ name: 1 })
      .limit(limit + 1)
      .toArray();
  }

  followingAlias(tenant: string, modelId: string, alias: string): Promise<DeploymentDocument[]> {
    return this.deployments.find({ tenant, modelId, alias }).toArray();
  }

  async anyOfModel(tenant: string, modelId: string): Promise<DeploymentDocument | null> {
    return this.deployments.findOne({ tenant, modelId });
  }

  /** Stores a re-render unless someone re-rendered since `revision` (then false). */
  async replaceRender(
    deployment: DeploymentDocument,
    revision: number,
    changes: Pick<DeploymentDocument, 'version' | 'manifest' | 'revision'>,
  ): Promise<boolean> {
    const result = await this.deployments.updateOne(
      { _id: deployment._id, revision },
      { $set: { ...changes, updatedAt: new Date() } },
    );
    return result.modifiedCount === 1;
  }

  /** Replaces the whole declaration unless someone changed it since `revision` (then false). */
  async replace(deployment: DeploymentDocument, revision: number): Promise<boolean> {
    const { _id, ...fields } = deployment;
    const result = await this.deployments.updateOne(
      { _id, revision },
      { $set: { ...fields, updatedAt: new Date() } },
    );
    return result.modifiedCount === 1;
  }

  /** Removes one deployment by id (a creation that withdrew), never a namesake made later. */
  async deleteById(tenant: string, id: string): Promise<void> {
    await this.deployments.deleteOne({ tenant, _id: id });
  }

  async delete(tenant: string, name: string): Promise<boolean> {
    return (await this.deployments.deleteOne({ tenant, name })).deletedCount === 1;
  }
}
