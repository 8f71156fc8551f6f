import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ObjectstoreEventType, type ObjectEventData } from '@iotwins/messaging';

/** The part of a MinIO bucket notification (S3 event format) the relay reads. */
const s3RecordSchema = z.object({
  eventName: z.string(),
  eventTime: z.string().optional(),
  s3: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({
      key: z.string(),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      contentType: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});
export const s3NotificationSchema = z.object({ Records: z.array(s3RecordSchema).default([]) });
export type S3Record = z.infer<typeof s3RecordSchema>;

export interface TranslatedObjectEvent {
  /** Deterministic, so a redelivered notification is stored once (JetStream message id). */
  id: string;
  type: ObjectstoreEventType;
  physicalBucket: string;
  data: Omit<ObjectEventData, 'bucket'>;
}

/** S3 notifications carry the key form-URL-encoded (spaces as "+"). */
export function decodeNotificationKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, '%20'));
}

/** An S3 record as an objectstore event, or undefined for kinds the platform does not relay. */
export function translateRecord(record: S3Record): TranslatedObjectEvent | undefined {
  const type = record.eventName.startsWith('s3:ObjectCreated:')
    ? ObjectstoreEventType.ObjectCreated
    : record.eventName.startsWith('s3:ObjectRemoved:')
      ? ObjectstoreEventType.ObjectDeleted
      : undefined;
  if (!type) return undefined;
  const { bucket, object } = record.s3;
  const key = decodeNotificationKey(object.key);
  const id = createHash('sha256')
    .update(
      [bucket.name, key, record.eventName, object.sequencer ?? record.eventTime ?? ''].join('\n'),
    )
    .digest('hex')
    .slice(0, 32);
  const data: Omit<ObjectEventData, 'bucket'> = { key, cause: record.eventName };
  if (type === ObjectstoreEventType.ObjectCreated) {
    if (object.size !== undefined) data.size = object.size;
    if (object.eTag) data.etag = object.eTag;
    if (object.contentType) data.contentType = object.contentType;
  }
  if (object.sequencer) data.sequencer = object.sequencer;
  return { id, type, physicalBucket: bucket.name, data };
}
