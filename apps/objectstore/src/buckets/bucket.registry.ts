import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Kvm, type KV } from '@nats-io/kv';
import { z } from 'zod';
import { BUCKET_REGISTRY_KV, NatsClient } from '@iotwins/messaging';
import { ACLS } from '../access/acl';

const bucketRecordSchema = z.object({
  tenant: z.string(),
  name: z.string(),
  owner: z.string(),
  acl: z.enum(ACLS),
  createdAt: z.string(),
  /**
   * True only when the owner asked for it: objects are then served inline (web pages that
   * run, in a sandboxed opaque origin). Absent in records made before the setting existed.
   */
  inlineContent: z.boolean().optional(),
  /** Set once deleted; the record stays so late S3 notifications still find their tenant. */
  deletedAt: z.string().optional(),
});
export type BucketRecord = z.infer<typeof bucketRecordSchema>;

export interface StoredBucket {
  physical: string;
  record: BucketRecord;
  revision: number;
}

export class RegistryConflictError extends Error {}

/**
 * Owner, tenant and ACL of every bucket, kept in a NATS KV bucket (JetStream, file storage):
 * it survives restarts, a create is atomic across replicas, and every replica watches it, so
 * access checks read memory and an ACL change reaches all replicas within milliseconds.
 */
@Injectable()
export class BucketRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(BucketRegistry.name);
  private readonly known = new Map<string, StoredBucket>();
  private kv: KV | undefined;
  private stopWatching: (() => void) | undefined;

  constructor(private readonly nats: NatsClient) {}

  async onModuleInit(): Promise<void> {
    // Opened, not created: the operator's provisioning step made it (provisionNats).
    this.kv = await new Kvm(this.nats.nc).open(BUCKET_REGISTRY_KV);
    await this.watch(this.kv);
  }

  onApplicationShutdown(): void {
    this.stopWatching?.();
  }

  /** The record of a MinIO bucket, deleted ones included; undefined if it never existed. */
  async find(physical: string): Promise<StoredBucket | undefined> {
    const cached = this.known.get(physical);
    if (cached) return cached;
    const entry = await this.store().get(physical);
    if (!entry || entry.operation !== 'PUT') return undefined;
    return this.remember(physical, entry.json<unknown>(), entry.revision);
  }

  /** Stores a new record; a live record under the same name is a conflict. */
  async create(physical: string, record: BucketRecord): Promise<StoredBucket> {
    const existing = await this.fresh(physical);
    try {
      const revision = existing
        ? await this.store().update(physical, JSON.stringify(record), existing.revision)
        : await this.store().create(physical, JSON.stringify(record));
      return this.remember(physical, record, revision);
    } catch (error) {
      if (/wrong last sequence|key exists/i.test((error as Error).message))
        throw new RegistryConflictError(`${physical} exists`);
      throw error;
    }
  }

  /** Replaces a record if nobody changed it since `revision`. */
  async update(physical: string, record: BucketRecord, revision: number): Promise<StoredBucket> {
    try {
      const next = await this.store().update(physical, JSON.stringify(record), revision);
      return this.remember(physical, record, next);
    } catch (error) {
      if (/wrong last sequence/i.test((error as Error).message))
        throw new RegistryConflictError(`${physical} changed meanwhile`);
      throw error;
    }
  }

  /** Drops a record entirely (a create whose MinIO bucket could not be made). */
  async forget(physical: string): Promise<void> {
    await this.store().purge(physical);
    this.known.delete(physical);
  }

  /** The stored record, read past the cache; a deleted record can be replaced. */
  private async fresh(physical: string): Promise<StoredBucket | undefined> {
    const entry = await this.store().get(physical);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const stored = this.remember(physical, entry.json<unknown>(), entry.revision);
    if (!stored.record.deletedAt) throw new RegistryConflictError(`${physical} exists`);
    return stored;
  }

  private remember(physical: string, raw: unknown, revision: number): StoredBucket {
    const stored = { physical, record: bucketRecordSchema.parse(raw), revision };
    const known = this.known.get(physical);
    if (!known || known.revision <= revision) this.known.set(physical, stored);
    return stored;
  }

  private store(): KV {
    if (!this.kv) throw new Error('the bucket registry is not open yet');
    return this.kv;
  }

  private async watch(kv: KV): Promise<void> {
    const watcher = await kv.watch({ key: '>' });
    this.stopWatching = () => watcher.stop();
    void (async () => {
      for await (const entry of watcher) {
        if (entry.operation === 'PUT') {
          try {
            this.remember(entry.key, entry.json<unknown>(), entry.revision);
          } catch (error) {
            this.logger.warn({ key: entry.key, err: error }, 'unreadable bucket record skipped');
          }
        } else {
          this.known.delete(entry.key);
        }
      }
    })();
  }
}
