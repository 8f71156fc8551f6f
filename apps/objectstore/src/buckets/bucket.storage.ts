import { Inject, Injectable } from '@nestjs/common';
import {
  NotificationConfig,
  ObjectCreatedCompleteMultipartUpload,
  ObjectCreatedCopy,
  ObjectCreatedPost,
  ObjectCreatedPut,
  ObjectRemovedDelete,
  ObjectRemovedDeleteMarkerCreated,
  QueueConfig,
} from 'minio';
import { APP_CONFIG } from '@iotwins/config';
import { S3Storage, s3ErrorCode } from '@iotwins/storage';
import type { ObjectstoreConfig } from '../app.config';

/**
 * The S3 events relayed as platform events. Tagging and retention changes are left out: the
 * object ACL lives in tags and changing it is not a new object.
 */
const NOTIFIED_EVENTS = [
  ObjectCreatedPut,
  ObjectCreatedPost,
  ObjectCreatedCopy,
  ObjectCreatedCompleteMultipartUpload,
  ObjectRemovedDelete,
  ObjectRemovedDeleteMarkerCreated,
];

const REMOVE_BATCH = 1_000;

/** The MinIO side of buckets: the bucket itself, its notifications, emptying it. */
@Injectable()
export class BucketStorage {
  constructor(
    private readonly s3: S3Storage,
    @Inject(APP_CONFIG) private readonly config: ObjectstoreConfig,
  ) {}

  /** Makes the bucket and subscribes its object events; a leftover bucket is taken over. */
  async make(physical: string): Promise<void> {
    try {
      await this.s3.client.makeBucket(physical);
    } catch (error) {
      if (s3ErrorCode(error) !== 'BucketAlreadyOwnedByYou') throw error;
    }
    const notifications = new NotificationConfig();
    const queue = new QueueConfig(this.config.S3_NOTIFY_ARN);
    for (const event of NOTIFIED_EVENTS) queue.addEvent(event);
    notifications.add(queue);
    await this.s3.client.setBucketNotification(physical, notifications);
  }

  async remove(physical: string): Promise<void> {
    try {
      await this.s3.client.removeBucket(physical);
    } catch (error) {
      if (s3ErrorCode(error) !== 'NoSuchBucket') throw error;
    }
  }

  async isEmpty(physical: string): Promise<boolean> {
    for await (const item of this.s3.client.listObjectsV2(physical, '', true)) {
      void item;
      return false;
    }
    return true;
  }

  /** Deletes every object; returns how many. MinIO reports each delete as an S3 event. */
  async empty(physical: string): Promise<number> {
    let removed = 0;
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const results = await this.s3.client.removeObjects(physical, batch);
      const failed = results.find((result) => result?.Error?.Code);
      if (failed)
        throw new Error(`S3 refused to delete ${failed.Error?.Key} while emptying ${physical}`);
      removed += batch.length;
      batch = [];
    };
    for await (const item of this.s3.client.listObjectsV2(physical, '', true)) {
      const { name } = item as { name?: string };
      if (name === undefined) continue;
      batch.push(name);
      if (batch.length === REMOVE_BATCH) await flush();
    }
    await flush();
    return removed;
  }

  /** The MinIO buckets whose names begin with the prefix, with their creation time. */
  async listWithPrefix(prefix: string): Promise<{ name: string; creationDate: Date }[]> {
    const buckets = await this.s3.client.listBuckets();
    return buckets.filter((bucket) => bucket.name.startsWith(prefix));
  }
}
