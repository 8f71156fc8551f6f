import { z } from 'zod';
import { assertSubjectToken, encodeSubjectToken } from './subject-token';

/**
 * Readings published by testbed clients over NATS request-reply, answered by ingest after
 * JetStream stored them. Renaming a subject or header breaks every connected testbed.
 *
 * Request: subject ingest.<tenant>.<measurement> (the measurement encoded as one token, see
 * encodeSubjectToken); body JSON (one point, or { "points": [...] }, the measurement defaulting
 * to the subject's; times in ms unless Precision says otherwise) or InfluxDB line protocol
 * (times in ns by default), chosen by the Content-Type header (application/json or
 * text/plain) or, without it, by the first character ("{" is JSON). The reply subject must
 * be in the tenant's inbox, _INBOX_<tenant>.>; a publish without one is stored and counted
 * but never answered.
 */
export const INGEST_REQUEST_SUBJECTS = 'ingest.*.*';
/** The queue group every ingest replica shares, so each request is handled once. */
export const INGEST_QUEUE_GROUP = 'ingest';

export const IngestRequestHeader = {
  ContentType: 'Content-Type',
  /** Same meaning as the HTTP header: a retried batch with the same key is stored once. */
  IdempotencyKey: 'Idempotency-Key',
  /** ns, us, ms, s, m or h: the unit of integer times. */
  Precision: 'Precision',
} as const;

export function ingestRequestSubject(tenant: string, measurement: string): string {
  return `ingest.${assertSubjectToken('tenant', tenant)}.${encodeSubjectToken(measurement)}`;
}

/** The inbox prefix a tenant's clients must use (nats CLI --inbox-prefix, nats-py inbox_prefix). */
export function tenantInboxPrefix(tenant: string): string {
  return `_INBOX_${assertSubjectToken('tenant', tenant)}`;
}

/** Reply when every point is stored: as the HTTP API's 202 body. */
export const ingestAcceptedReplySchema = z.object({ accepted: z.number().int().nonnegative() });
export type IngestAcceptedReply = z.infer<typeof ingestAcceptedReplySchema>;

/**
 * Reply otherwise: RFC 9457 problem details exactly as the HTTP API answers them (status,
 * type, detail, and for batches `errors` naming each bad point or line; a partial
 * line-protocol write says how many lines were `written`).
 */
export const ingestProblemReplySchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
  })
  .loose();
export type IngestProblemReply = z.infer<typeof ingestProblemReplySchema>;
