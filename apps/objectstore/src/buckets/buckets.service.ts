import { Injectable, Logger } from '@nestjs/common';
import { type Caller } from '@iotwins/auth';
import { ProblemException } from '@iotwins/http';
import {
  createEvent,
  EventPublisher,
  ObjectstoreEventType,
  objectstoreEventSubject,
} from '@iotwins/messaging';
import { s3ErrorCode } from '@iotwins/storage';
import { mayAdministerBucket, mayListBucket, type Acl } from '../access/acl';
import { APP_NAME } from '../app.name';
import { bucketNameProblem, physicalBucketName, tenantBucketPrefix } from './bucket-name';
import { BucketRegistry, RegistryConflictError, type StoredBucket } from './bucket.registry';
import { BucketStorage } from './bucket.storage';
import type { BucketDto } from './buckets.dto';

/** A live bucket, resolved for the tenant that named it. */
export type ResolvedBucket = StoredBucket & { name: string };

@Injectable()
export class BucketsService {
  private readonly logger = new Logger(BucketsService.name);

  constructor(
    private readonly registry: BucketRegistry,
    private readonly storage: BucketStorage,
    private readonly events: EventPublisher,
  ) {}

  /**
   * The tenant's live bucket of that name, or a 404. The tenant comes from the token (or the
   * public URL); the record's own tenant is checked again so that not even a hash collision
   * of two tenant prefixes could hand out another tenant's bucket.
   */
  async resolve(tenant: string, name: string): Promise<ResolvedBucket> {
    const problem = bucketNameProblem(name);
    if (problem) throw ProblemException.of(400, 'invalid-bucket-name', `Bucket name ${problem}`);
    const stored = await this.registry.find(physicalBucketName(tenant, name));
    if (!stored || stored.record.deletedAt || stored.record.tenant !== tenant) {
      throw ProblemException.of(404, 'bucket-not-found', `Bucket "${name}" does not exist`);
    }
    return { ...stored, name };
  }

  async create(
    caller: Caller,
    tenant: string,
    name: string,
    acl: Acl = 'private',
    inlineContent = false,
  ): Promise<BucketDto> {
    const problem = bucketNameProblem(name);
    if (problem) throw ProblemException.of(400, 'invalid-bucket-name', `Bucket name ${problem}`);
    const physical = physicalBucketName(tenant, name);
    const record = {
      tenant,
      name,
      owner: caller.subject,
      acl,
      ...(inlineContent ? { inlineContent: true } : {}),
      createdAt: new Date().toISOString(),
    };
    try {
      await this.registry.create(physical, record);
    } catch (error) {
      if (error instanceof RegistryConflictError)
        throw ProblemException.of(409, 'bucket-exists', `Bucket "${name}" already exists`);
      throw error;
    }
    try {
      await this.storage.make(physical);
    } catch (error) {
      await this.registry.forget(physical).catch(() => undefined);
      await this.storage.remove(physical).catch(() => undefined);
      throw this.storageProblem(error, name);
    }
    await this.publish(tenant, ObjectstoreEventType.BucketCreated, {
      bucket: name,
      owner: record.owner,
      acl,
    });
    return view(record);
  }

  async list(tenant: string): Promise<BucketDto[]> {
    const prefix = tenantBucketPrefix(tenant);
    const buckets = await this.storage.listWithPrefix(prefix);
    const views: BucketDto[] = [];
    for (const bucket of buckets) {
      const stored = await this.registry.find(bucket.name);
      if (!stored || stored.record.deletedAt || stored.record.tenant !== tenant) continue;
      views.push(view(stored.record));
    }
    return views.sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(caller: Caller, tenant: string, name: string): Promise<BucketDto> {
    const bucket = await this.resolve(tenant, name);
    this.assert(mayListBucket(caller, bucket.record), 'read', name);
    return view(bucket.record);
  }

  async setAcl(caller: Caller, tenant: string, name: string, acl: Acl): Promise<BucketDto> {
    const bucket = await this.resolve(tenant, name);
    this.assert(mayAdministerBucket(caller, bucket.record), 'change the ACL of', name);
    const record = { ...bucket.record, acl };
    await this.saveRecord(bucket, name, record);
    await this.publish(tenant, ObjectstoreEventType.AclChanged, { bucket: name, acl });
    return view(record);
  }

  /** Stores a changed record, refused with 409 when another change came in between. */
  private async saveRecord(
    bucket: ResolvedBucket,
    name: string,
    record: ResolvedBucket['record'],
  ): Promise<void> {
    try {
      await this.registry.update(bucket.physical, record, bucket.revision);
    } catch (error) {
      if (error instanceof RegistryConflictError)
        throw ProblemException.of(
          409,
          'bucket-changed',
          `Bucket "${name}" changed meanwhile; retry`,
        );
      throw error;
    }
  }

  /** Turns inline serving of the bucket's objects on or off (owner and platform admins). */
  async setInlineContent(
    caller: Caller,
    tenant: string,
    name: string,
    enabled: boolean,
  ): Promise<BucketDto> {
    const bucket = await this.resolve(tenant, name);
    this.assert(mayAdministerBucket(caller, bucket.record), 'change the settings of', name);
    const record = { ...bucket.record, inlineContent: enabled };
    await this.saveRecord(bucket, name, record);
    this.logger.log({ tenant, bucket: name, inlineContent: enabled }, 'inline content changed');
    return view(record);
  }

  /** Deletes an empty bucket; `force` empties it first (owner and admins only, like delete). */
  async delete(caller: Caller, tenant: string, name: string, force: boolean): Promise<void> {
    const bucket = await this.resolve(tenant, name);
    this.assert(mayAdministerBucket(caller, bucket.record), 'delete', name);
    if (force) {
      const removed = await this.storage.empty(bucket.physical);
      this.logger.log({ bucket: name, removed }, 'bucket emptied before deletion');
    } else if (!(await this.storage.isEmpty(bucket.physical))) {
      throw ProblemException.of(
        409,
        'bucket-not-empty',
        `Bucket "${name}" still holds objects; delete them first or pass ?force=true`,
      );
    }
    // The record is marked first: from here on no request resolves the bucket.
    await this.registry.update(
      bucket.physical,
      { ...bucket.record, deletedAt: new Date().toISOString() },
      bucket.revision,
    );
    try {
      await this.storage.remove(bucket.physical);
    } catch (error) {
      if (s3ErrorCode(error) !== 'BucketNotEmpty') throw error;
      // An upload raced the deletion; what it wrote goes with the bucket.
      await this.storage.empty(bucket.physical);
      await this.storage.remove(bucket.physical);
    }
    await this.publish(tenant, ObjectstoreEventType.BucketDeleted, {
      bucket: name,
      owner: bucket.record.owner,
      acl: bucket.record.acl,
    });
  }

  private assert(allowed: boolean, action: string, name: string): asserts allowed {
    if (!allowed) {
      throw ProblemException.of(403, 'bucket-forbidden', `You may not ${action} bucket "${name}"`);
    }
  }

  private storageProblem(error: unknown, name: string): Error {
    const code = s3ErrorCode(error);
    if (
      code === 'InvalidArgument' ||
      code === 'InvalidQueueConfiguration' ||
      code === 'InvalidARN'
    ) {
      this.logger.error({ err: error }, 'the S3 server has no notification target for buckets');
      return ProblemException.of(
        503,
        'object-events-unavailable',
        `Bucket "${name}" was not created: the S3 server cannot report its object events (notification target missing)`,
      );
    }
    return error as Error;
  }

  private async publish<T>(tenant: string, type: ObjectstoreEventType, data: T): Promise<void> {
    await this.events.publish(
      objectstoreEventSubject(tenant, type),
      createEvent({ type, source: APP_NAME, tenant, data }),
    );
  }
}

function view(record: {
  name: string;
  acl: Acl;
  owner: string;
  createdAt: string;
  inlineContent?: boolean;
}): BucketDto {
  return {
    name: record.name,
    acl: record.acl,
    inlineContent: record.inlineContent === true,
    owner: record.owner,
    createdAt: record.createdAt,
  };
}
