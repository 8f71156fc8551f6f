import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Collection, Filter } from 'mongodb';
import type { VersionStatus } from '@iotwins/messaging';
import { ModelMetadataStore } from '../metadata/mongo.client';
import { isDuplicateKey } from '../models/models.repository';

export interface StoredFile {
  /** Path inside the version, as uploaded (model.onnx, weights/part-1.bin). */
  path: string;
  /** S3 key under the tenant's prefix. */
  key: string;
  size: number;
  sha256: string;
  contentType: string;
}

/** A model version as stored: immutable apart from description, tags and status. */
export interface VersionDocument {
  _id: string;
  tenant: string;
  modelId: string;
  number: number;
  status: VersionStatus;
  statusReason?: string;
  description: string;
  tags: { key: string; value: string }[];
  framework: { name: string; version: string };
  signature?: unknown;
  hyperparameters: Record<string, unknown>;
  metrics: Record<string, number>;
  validationMetric?: { name: string; value: number; higherIsBetter?: boolean };
  lineage: { trainingData?: unknown; codeRevision?: string; runId?: string };
  inputProfile?: { features: Record<string, { bins: number[]; counts: number[] }> };
  /** Where its files live: every key begins with it. */
  artifactPrefix: string;
  files: StoredFile[];
  size: number;
  /** SHA-256 of the one file, or of the sorted "<sha256>  <path>" lines of several. */
  contentSha256: string;
  source: 'upload' | 'mlflow';
  /** The source URI an MLflow client gave (mlflow-artifacts:/...), kept for its answers. */
  sourceUri?: string;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/** The number was taken by a concurrent create; the caller retries with the next one. */
export class VersionNumberTakenError extends Error {}
/** A version with the same content exists (a concurrent create uploaded the same bytes). */
export class DuplicateContentError extends Error {}

/** The model_versions collection, the only place that queries it. */
@Injectable()
export class VersionsRepository implements OnModuleInit {
  constructor(private readonly store: ModelMetadataStore) {}

  private get versions(): Collection<VersionDocument> {
    return this.store.client.db().collection<VersionDocument>('model_versions');
  }

  async onModuleInit(): Promise<void> {
    // These unique indexes are what keeps numbers and content unique under concurrency:
    // FerretDB 1.24 runs findOneAndUpdate/$inc on a counter without isolation (two concurrent
    // increments can return the same value), so no counter document is used.
    await this.versions.createIndex(
      { modelId: 1, number: 1 },
      { unique: true, name: 'model_number' },
    );
    await this.versions.createIndex(
      { modelId: 1, contentSha256: 1 },
      { unique: true, name: 'model_content' },
    );
    await this.versions.createIndex({ artifactPrefix: 1 }, { name: 'artifact_prefix' });
  }

  /** The highest number given so far, 0 for none. */
  async highestNumber(modelId: string): Promise<number> {
    const [last] = await this.versions
      .find({ modelId }, { projection: { number: 1 } })
      .sort({ number: -1 })
      .limit(1)
      .toArray();
    return last?.number ?? 0;
  }

  async insert(version: VersionDocument): Promise<void> {
    try {
      await this.versions.insertOne(version);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const message = (error as Error).message;
      if (/model_content|contentSha256/.test(message)) throw new DuplicateContentError(message);
      if (/model_number|number/.test(message)) throw new VersionNumberTakenError(message);
      // FerretDB's duplicate key message does not name the index: tell them apart by reading.
      const sameContent = await this.versions.findOne({
        modelId: version.modelId,
        contentSha256: version.contentSha256,
      });
      if (sameContent) throw new DuplicateContentError(message);
      throw new VersionNumberTakenError(message);
    }
  }

  findByContent(modelId: string, contentSha256: string): Promise<VersionDocument | null> {
    return this.versions.findOne({ modelId, contentSha256 });
  }

  find(tenant: string, modelId: string, number: number): Promise<VersionDocument | null> {
    return this.versions.findOne({ tenant, modelId, number });
  }

  list(
    tenant: string,
    modelId: string,
    options: { status?: VersionStatus; afterNumber?: number; limit: number },
  ): Promise<VersionDocument[]> {
    const filter: Filter<VersionDocument> = { tenant, modelId };
    if (options.status) filter.status = options.status;
    if (options.afterNumber !== undefined) filter.number = { $gt: options.afterNumber };
    return this.versions
      .find(filter)
      .sort({ number: 1 })
      .limit(options.limit + 1)
      .toArray();
  }

  update(
    tenant: string,
    modelId: string,
    number: number,
    changes: Partial<Pick<VersionDocument, 'description' | 'tags' | 'status' | 'statusReason'>>,
  ): Promise<VersionDocument | null> {
    return this.versions.findOneAndUpdate(
      { tenant, modelId, number },
      { $set: { ...changes, updatedAt: new Date() } },
      { returnDocument: 'after' },
    );
  }

  async deleteAllOf(tenant: string, modelId: string): Promise<void> {
    await this.versions.deleteMany({ tenant, modelId });
  }

  /** Whether any version keeps its files under this prefix (the orphan sweeper asks). */
  async prefixInUse(artifactPrefix: string): Promise<boolean> {
    return (await this.versions.countDocuments({ artifactPrefix }, { limit: 1 })) > 0;
  }
}
