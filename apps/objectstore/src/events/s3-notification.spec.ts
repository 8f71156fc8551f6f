import { ObjectstoreEventType } from '@iotwins/messaging';
import { decodeNotificationKey, s3NotificationSchema, translateRecord } from './s3-notification';

const notification = (eventName: string, key: string, sequencer = '1879F1C0B4B3A2D1') =>
  s3NotificationSchema.parse({
    EventName: eventName,
    Key: `tabc-data/${key}`,
    Records: [
      {
        eventVersion: '2.0',
        eventName,
        eventTime: '2026-11-24T10:00:00.000Z',
        s3: {
          bucket: { name: 't0123456789-data' },
          object: { key, size: 42, eTag: 'e1', contentType: 'text/csv', sequencer },
        },
      },
    ],
  }).Records[0]!;

describe('S3 notifications', () => {
  it('turns a created object into objectstore.object.created.v1', () => {
    const event = translateRecord(
      notification('s3:ObjectCreated:Put', 'metrics%2F2021%2Fdata+1.csv'),
    );
    expect(event).toMatchObject({
      type: ObjectstoreEventType.ObjectCreated,
      physicalBucket: 't0123456789-data',
      data: {
        key: 'metrics/2021/data 1.csv',
        size: 42,
        etag: 'e1',
        contentType: 'text/csv',
        cause: 's3:ObjectCreated:Put',
      },
    });
  });

  it('turns a removal into objectstore.object.deleted.v1 without size', () => {
    const event = translateRecord(notification('s3:ObjectRemoved:Delete', 'a.csv'));
    expect(event?.type).toBe(ObjectstoreEventType.ObjectDeleted);
    expect(event?.data.size).toBeUndefined();
  });

  it('gives a redelivered notification the same id and a new change a new one', () => {
    const first = translateRecord(notification('s3:ObjectCreated:Put', 'a.csv', '01'));
    expect(translateRecord(notification('s3:ObjectCreated:Put', 'a.csv', '01'))?.id).toBe(
      first?.id,
    );
    expect(translateRecord(notification('s3:ObjectCreated:Put', 'a.csv', '02'))?.id).not.toBe(
      first?.id,
    );
  });

  it('ignores kinds it does not relay', () => {
    expect(translateRecord(notification('s3:ObjectAccessed:Get', 'a.csv'))).toBeUndefined();
  });

  it('decodes keys the way S3 encodes them', () => {
    expect(decodeNotificationKey('gr%C3%BC%C3%9Fe%2Fa+b%2B.txt')).toBe('grüße/a b+.txt');
  });
});
