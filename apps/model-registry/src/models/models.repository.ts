import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Collection, Filter } from 'mongodb';
import { ModelMetadataStore } from '../metadata/mongo.client';

/** A registered model as stored; its versions live in their own collection. */
export interface ModelDocument {
  _id: string;
  tenant: string;
  name: string;
  description: string;
  /** Stored as pairs, so any tag key (dots included) is safe in MongoDB. */
  tags: { key: string; value: string }[];
  /** `key` and `key=value` of every tag, for searches by tag. */
  tagIndex: string[];
  /** alias -> version number. Alias names are safe field names (letters, digits, _ and -). */
  aliases: Record<string, number>;
  /** Frameworks of its versions, for searches by framework. */
  frameworks: string[];
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  /**
   * Set while a deletion of the model checks for deployments and removes it: a deployment
   * created meanwhile sees it and withdraws (see ModelsService.delete). A lease, so a process
   * that died mid-deletion does not block the model for good.
   */
  deletingSince?: Date;
}

/** How long a deletion's claim holds; a claim older than this is one whose process died. */
export const DELETION_LEASE_MS = 60_000;

export interface ModelSearch {
  tenant: string;
  namePrefix?: string;
  tags: string[];
  excludeTags?: string[];
  framework?: string;
  after?: string;
  limit: number;
}

export class DuplicateModelError extends Error {}

const DUPLICATE_KEY = 11000;

export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === DUPLICATE_KEY;
}

/** The registered_models collection, the only place that queries it. */
@Injectable()
export class ModelsRepository implements OnModuleInit {
  constructor(private readonly store: ModelMetadataStore) {}

  private get models(): Collection<ModelDocument> {
    return this.store.client.db().collection<ModelDocument>('registered_models');
  }

  async onModuleInit(): Promise<void> {
    // FerretDB 1.x and MongoDB both enforce unique compound indexes; partial indexes are
    // not available on FerretDB, so none is used.
    await this.models.createIndex({ tenant: 1, name: 1 }, { unique: true, name: 'tenant_name' });
  }

  async insert(model: ModelDocument): Promise<void> {
    try {
      await this.models.insertOne(model);
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateModelError(model.name);
      throw error;
    }
  }

  findByName(tenant: string, name: string): Promise<ModelDocument | null> {
    return this.models.findOne({ tenant, name });
  }

  findById(tenant: string, id: string): Promise<ModelDocument | null> {
    return this.models.findOne({ tenant, _id: id });
  }

  /** One page sorted by name, starting after `after`. */
  search(search: ModelSearch): Promise<ModelDocument[]> {
    const and: Filter<ModelDocument>[] = [{ tenant: search.tenant }];
    if (search.namePrefix) and.push({ name: { $regex: `^${escapeRegex(search.namePrefix)}` } });
    if (search.after !== undefined) and.push({ name: { $gt: search.after } });
    if (search.tags.length > 0) and.push({ tagIndex: { $all: search.tags } });
    if (search.excludeTags?.length) and.push({ tagIndex: { $nin: search.excludeTags } });
    if (search.framework) and.push({ frameworks: search.framework });
    return this.models
      .find({ $and: and })
      .sort({ name: 1 })
      .limit(search.limit + 1)
      .toArray();
  }

  /** Applies changes; a rename onto an existing name is a DuplicateModelError. */
  async update(
    tenant: string,
    id: string,
    changes: Partial<Pick<ModelDocument, 'name' | 'description' | 'tags' | 'tagIndex'>>,
  ): Promise<ModelDocument | null> {
    try {
      return await this.models.findOneAndUpdate(
        { tenant, _id: id },
        { $set: { ...changes, updatedAt: new Date() } },
        { returnDocument: 'after' },
      );
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateModelError(changes.name ?? '');
      throw error;
    }
  }

  async addFramework(tenant: string, id: string, framework: string): Promise<void> {
    await this.models.updateOne({ tenant, _id: id }, { $addToSet: { frameworks: framework } });
  }

  /** Points an alias at a version; returns the model as it was before. */
  setAlias(
    tenant: string,
    id: string,
    alias: string,
    version: number,
  ): Promise<ModelDocument | null> {
    return this.models.findOneAndUpdate(
      { tenant, _id: id },
      { $set: { [`aliases.${alias}`]: version, updatedAt: new Date() } },
      { returnDocument: 'before' },
    );
  }

  /** Removes an alias; returns the model as it was before. */
  removeAlias(tenant: string, id: string, alias: string): Promise<ModelDocument | null> {
    return this.models.findOneAndUpdate(
      { tenant, _id: id },
      { $unset: { [`aliases.${alias}`]: '' }, $set: { updatedAt: new Date() } },
      { returnDocument: 'before' },
    );
  }

  /**
   * Claims the model for deletion unless another deletion holds it: true when this one does.
   * One conditional update, so two deletions, or a deletion and a deployment, see each other.
   */
  async claimDeletion(tenant: string, id: string, since: Date): Promise<boolean> {
    const claimed = await this.models.findOneAndUpdate(
      { tenant, _id: id, ...unclaimed(since) },
      { $set: { deletingSince: since } },
      { returnDocument: 'after' },
    );
    return claimed !== null;
  }

  /** Gives a claim back (the deletion was refused); a newer claim is left alone. */
  async releaseDeletion(tenant: string, id: string, since: Date): Promise<void> {
    await this.models.updateOne(
      { tenant, _id: id, deletingSince: since },
      { $unset: { deletingSince: '' } },
    );
  }

  /** True while the model exists and no live deletion claims it: a deployment may stand. */
  async deployable(tenant: string, id: string, now: Date): Promise<boolean> {
    return (await this.models.findOne({ tenant, _id: id, ...unclaimed(now) })) !== null;
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    const result = await this.models.deleteOne({ tenant, _id: id });
    return result.deletedCount === 1;
  }
}

/** No deletion claim, or one older than its lease (its process died). */
function unclaimed(now: Date): Filter<ModelDocument> {
  return {
    $or: [
      { deletingSince: { $exists: false } },
      { deletingSince: { $lt: new Date(now.getTime() - DELETION_LEASE_MS) } },
    ],
  };
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
