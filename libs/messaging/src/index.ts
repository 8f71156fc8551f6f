export { MessagingModule } from './messaging.module';
export { NatsClient, NatsReadiness, serviceInboxPrefix, type NatsOptions } from './nats.connection';
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
export { requireStreams } from './stream.require';
export { ensureObservationsStream } from './observations.stream';
export { ensureNodesStream } from './nodes.stream';
export {
  ensureTenantStream,
  tenantAccountName,
  tenantJetStreamApiPrefix,
  tenantStreamConfig,
  tenantStreamName,
  type TenantStreamOptions,
} from './tenant.stream';
export { ensureS3NotificationsStream } from './s3-notifications.stream';
export {
  BUCKET_REGISTRY_KV,
  BUCKET_REGISTRY_KV_STREAM,
  ensureBucketRegistryKv,
  bucketRegistryRecordSchema,
  type BucketRegistryRecord,
} from './objectstore-registry.kv';
export { provisionNats, type ProvisionOptions } from './provision';
export { provisionEnvSchema, provisionOptions, type ProvisionEnv } from './provision.env';
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
export {
  consumeUntilStopped,
  handlerFailed,
  DEFAULT_MAX_HANDLER_DELIVERIES,
  type ConsumeLoop,
  type ConsumeLoopOptions,
} from './consume.loop';
export {
  FIELD_TYPES_BUCKET,
  FieldTypesBucket,
  ensureFieldTypesKv,
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
  ensureInstanceSlotsKv,
} from './instance-slots.bucket';
export {
  ACTUALS_SUBJECTS,
  MAX_OBSERVATIONS_PER_MESSAGE,
  OBSERVATIONS_STREAM,
  OBSERVATION_DEAD_LETTER_REASON_HEADER,
  PREDICTIONS_SUBJECTS,
  RETRAINER_OBSERVATIONS_CONSUMER,
  actualsSubject,
  observationMessageSchema,
  observationSchema,
  observationSubject,
  observationsDeadLetterSubject,
  pairingKey,
  parseObservationMessage,
  predictionsSubject,
  type Observation,
  type ObservationKind,
  type ObservationMessage,
} from './observations.subjects';
export {
  MONITOR_STATES,
  RetrainerEventType,
  modelDeactivatedEventDataSchema,
  monitorStateChangedEventDataSchema,
  retrainRequestedEventDataSchema,
  retrainerEventSubject,
  retrainerEventsOf,
  windowEvaluationSchema,
  type ModelDeactivatedEventData,
  type MonitorState,
  type MonitorStateChangedEventData,
  type RetrainRequestedEventData,
  type WindowEvaluation,
} from './retrainer.events';
export {
  ModelsEventType,
  aliasChangedEventDataSchema,
  deploymentChangedEventDataSchema,
  modelEventDataSchema,
  modelsEventSubject,
  modelsEventsOf,
  nodeEventDataSchema,
  versionEventDataSchema,
  type AliasChangedEventData,
  type DeploymentChangedEventData,
  type ModelEventData,
  type NodeEventData,
  type VersionEventData,
} from './models.events';
export {
  MODEL_REGISTRY_NODES_CONSUMER,
  NODES_STREAM,
  NODES_SUBJECTS,
  ROLLOUT_STATES,
  nodeCommandReplySchema,
  nodeCommandSchema,
  nodeCommandSubject,
  nodeHeartbeatSchema,
  nodeHeartbeatSubject,
  nodeStatusSchema,
  nodeStatusSubject,
  parseNodeSubject,
  type NodeCommand,
  type NodeCommandReply,
  type NodeHeartbeat,
  type NodeMessageKind,
  type NodeStatus,
} from './nodes.subjects';
export {
  MODEL_REGISTRY_QUEUE,
  ModelRegistryRequest,
  VERSION_STATUSES,
  aliasRemovedReplySchema,
  aliasSetRequestSchema,
  registryProblemSchema,
  registryVersionReplySchema,
  versionDeactivateRequestSchema,
  versionGetRequestSchema,
  type AliasRemovedReply,
  type AliasSetRequest,
  type RegistryProblem,
  type RegistryVersionReply,
  type VersionDeactivateRequest,
  type VersionGetRequest,
  type VersionStatus,
} from './model-registry.requests';
export {
  INGEST_QUEUE_GROUP,
  INGEST_REQUEST_SUBJECTS,
  IngestRequestHeader,
  ingestAcceptedReplySchema,
  ingestProblemReplySchema,
  ingestRequestSubject,
  tenantInboxPrefix,
  type IngestAcceptedReply,
  type IngestProblemReply,
} from './ingest.requests';
export {
  CONNECTORS_KV,
  CONNECTORS_KV_STREAM,
  ConnectorKey,
  ensureConnectorsKv,
} from './connectors.kv';
export {
  DeadLetterHeader,
  boundedDeadLetterCopy,
  deadLetterCopyOf,
  isTransientPublishError,
  maxPayloadOf,
  NATS_DEFAULT_MAX_PAYLOAD,
  type DeadLetterCopy,
  type DeadLetterSource,
} from './dead-letter.copy';
