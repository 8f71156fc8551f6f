export { MessagingModule } from './messaging.module';
export { NatsClient, NatsReadiness, type NatsOptions } from './nats.connection';
export {
  assertSubjectToken,
  decodeSubjectToken,
  encodeSubjectToken,
  isSubjectToken,
} from './subject-token';
export {
  DEAD_LETTER_STREAM,
  TELEMETRY_STREAM,
  TELEMETRY_SUBJECTS,
  TIMESERIES_WRITER_CONSUMER,
  TelemetryHeader,
  telemetryDeadLetterSubject,
  telemetrySubject,
} from './telemetry.subjects';
export {
  TIMESERIES_WRITER_ACK_WAIT_MS,
  ensureDeadLetterStream,
  ensureTelemetryStream,
  type TelemetryStreamOptions,
} from './telemetry.stream';
export { telemetryStreamEnvShape, telemetryStreamOptions } from './telemetry-stream.env';
export { createEvent, eventEnvelopeSchema, parseEvent, type EventEnvelope } from './event-envelope';
export { EVENTS_STREAM, EVENTS_SUBJECTS, ensureEventsStream } from './events.stream';
export { EventPublisher } from './event.publisher';
export { upsertStream } from './stream.upsert';
export {
  ObjectstoreEventType,
  S3_NOTIFICATIONS_RELAY_CONSUMER,
  S3_NOTIFICATIONS_STREAM,
  S3_NOTIFICATIONS_SUBJECT,
  aclChangedEventDataSchema,
  bucketEventDataSchema,
  objectEventDataSchema,
  objectstoreEventSubject,
  objectstoreEventsOf,
  type AclChangedEventData,
  type BucketEventData,
  type ObjectEventData,
} from './objectstore.events';
export { consumeUntilStopped, type ConsumeLoop } from './consume.loop';
export {
  FIELD_TYPES_BUCKET,
  FieldTypesBucket,
  fieldTypeSchema,
  fieldTypesKey,
  measurementFieldTypesSchema,
  type FieldTypeName,
  type FieldTypesMerge,
  type MeasurementFieldTypes,
} from './field-types.bucket';
export {
  INSTANCE_SLOTS_BUCKET,
  INSTANCE_SLOT_RENEW_MS,
  InstanceSlotLease,
} from './instance-slots.bucket';
