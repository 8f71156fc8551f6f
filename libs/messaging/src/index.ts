export { MessagingModule } from './messaging.module';
export { NatsClient, NatsReadiness, type NatsOptions } from './nats.connection';
export { assertSubjectToken, isSubjectToken } from './subject-token';
export { createEvent, eventEnvelopeSchema, parseEvent, type EventEnvelope } from './event-envelope';
