import { Injectable } from '@nestjs/common';
import type { Collection } from 'mongodb';
import { ModelMetadataStore } from '../metadata/mongo.client';
import { escapeRegex } from '../models/models.repository';

/** One file an MLflow client uploaded through the artifact proxy, with what was measured. */
export interface MlflowArtifactDocument {
  /** `<tenant>/<path>`: one record per path, replaced when the client uploads it again. */
  _id: string;
  tenant: string;
  path: string;
  key: string;
  size: number;
  sha256: string;
  contentType: string;
  updatedAt: Date;
}

/** The mlflow_artifacts collection: size and SHA-256 of files uploaded by MLflow clients. */
@Injectable()
export class MlflowArtifactsRepository {
  constructor(private readonly store: ModelMetadataStore) {}

  private get artifacts(): Collection<MlflowArtifactDocument> {
    return this.store.client.db().collection<MlflowArtifactDocument>('mlflow_artifacts');
  }

  async record(artifact: Omit<MlflowArtifactDocument, '_id'>): Promise<void> {
    const _id = `${artifact.tenant}/${artifact.path}`;
    await this.artifacts.replaceOne({ _id }, artifact, { upsert: true });
  }

  /** Every file at or below `path` (a directory) of the tenant. */
  under(tenant: string, path: string): Promise<MlflowArtifactDocument[]> {
    const prefix = path === '' ? '' : `${path.replace(/\/+$/, '')}/`;
    return this.artifacts
      .find({ tenant, path: { $regex: `^${escapeRegex(prefix)}` } })
      .sort({ path: 1 })
      .toArray();
  }

  find(tenant: string, path: string): Promise<MlflowArtifactDocument | null> {
    return this.artifacts.findOne({ _id: `${tenant}/${path}` });
  }
}
