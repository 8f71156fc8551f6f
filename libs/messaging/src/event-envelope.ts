import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * The one envelope of every platform event. Publishers and subscribers validate with the
 * same schema; `id` doubles as the JetStream message id so a republished event is stored once.
 */
export const eventEnvelopeSchema = z.object({
  id: z.string().min(1).max(128),
  /** Versioned event type, e.g. models.version.created.v1. */
  type: z.string().regex(/^[a-z0-9]+(\.[a-z0-9-]+)+\.v[0-9]+$/),
  /** The app that published it. */
  source: z.string().min(1),
  tenant: z.string().min(1),
  time: z.iso.datetime(),
  data: z.unknown(),
});

export type EventEnvelope<T = unknown> = Omit<z.infer<typeof eventEnvelopeSchema>, 'data'> & {
  data: T;
};

export function createEvent<T>(
  fields: { type: string; source: string; tenant: string; data: T; id?: string },
  now: Date = new Date(),
): EventEnvelope<T> {
  return {
    id: fields.id ?? randomUUID(),
    type: fields.type,
    source: fields.source,
    tenant: fields.tenant,
    time: now.toISOString(),
    data: fields.data,
  };
}

/** Parses and validates an envelope and its payload with the event's own data schema. */
export function parseEvent<T>(raw: unknown, dataSchema: z.ZodType<T>): EventEnvelope<T> {
  const envelope = eventEnvelopeSchema.parse(raw);
  return { ...envelope, data: dataSchema.parse(envelope.data) };
}
