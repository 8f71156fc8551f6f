import { z } from 'zod';
import { assertSubjectToken } from './subject-token';

/**
 * Events of the objectstore: events.<tenant>.objectstore.<entity>.<action>. Type names carry
 * a version; renaming a subject or type breaks subscribers and needs a migration.
 */
export const ObjectstoreEventType = {
  ObjectCreated: 'objectstore.object.created.v1',
  ObjectDeleted: 'objectstore.object.deleted.v1',
  BucketCreated: 'objectstore.bucket.created.v1',
  BucketDeleted: 'objectstore.bucket.deleted.v1',
  AclChanged: 'objectstore.acl.changed.v1',
} as const;
export type ObjectstoreEventType = (typeof ObjectstoreEventType)[keyof typeof ObjectstoreEventType];

/** events.<tenant>.objectstore.object.created for objectstore.object.created.v1. */
export function objectstoreEventSubject(tenant: string, type: ObjectstoreEventType): string {
  const action = type.replace(/^objectstore\./, '').replace(/\.v[0-9]+$/, '');
  return `events.${assertSubjectToken('tenant', tenant)}.objectstore.${action}`;
}

/** The subjects of every objectstore event of one tenant, for subscribers. */
export function objectstoreEventsOf(tenant: string): string {
  return `events.${assertSubjectToken('tenant', tenant)}.objectstore.>`;
}

export const objectEventDataSchema = z.object({
  bucket: z.string(),
  key: z.string(),
  /** Bytes; absent on deletes. */
  size: z.number().int().nonnegative().optional(),
  etag: z.string().optional(),
  contentType: z.string().optional(),
  /** The S3 event that caused it, e.g. s3:ObjectCreated:Put. */
  cause: z.string(),
  /** Orders changes of the same key; larger is later (hex, from the S3 server). */
  sequencer: z.string().optional(),
});
export type ObjectEventData = z.infer<typeof objectEventDataSchema>;

export const bucketEventDataSchema = z.object({
  bucket: z.string(),
  owner: z.string(),
  acl: z.string(),
});
export type BucketEventData = z.infer<typeof bucketEventDataSchema>;

export const aclChangedEventDataSchema = z.object({
  bucket: z.string(),
  /** Absent for the bucket's own ACL. */
  key: z.string().optional(),
  acl: z.string().nullable(),
});
export type AclChangedEventData = z.infer<typeof aclChangedEventDataSchema>;

/**
 * Where MinIO publishes its bucket notifications (a JetStream target), before the objectstore
 * relays them as platform events. Internal: no one but the relay reads it.
 */
export const S3_NOTIFICATIONS_STREAM = 'OBJECTSTORE_S3_NOTIFICATIONS';
export const S3_NOTIFICATIONS_SUBJECT = 'internal.objectstore.s3-notifications';
export const S3_NOTIFICATIONS_RELAY_CONSUMER = 'objectstore-event-relay';
