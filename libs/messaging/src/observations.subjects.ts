import { z } from 'zod';
import { assertSubjectToken, encodeSubjectToken } from './subject-token';

/**
 * Observations of deployed models, published by edge nodes with their tenant's NATS identity
 * and consumed by the retrainer: predictions.<tenant>.<model> and actuals.<tenant>.<model>.
 * Renaming a subject, the stream or the durable strands messages already stored and breaks
 * publishers in the field: it needs a migration.
 */
export const OBSERVATIONS_STREAM = 'OBSERVATIONS';
export const PREDICTIONS_SUBJECTS = 'predictions.*.*';
export const ACTUALS_SUBJECTS = 'actuals.*.*';
/** The durable consumer of the retrainer. */
export const RETRAINER_OBSERVATIONS_CONSUMER = 'retrainer-observations';

export type ObservationKind = 'prediction' | 'actual';

/** predictions.<tenant>.<model>, the model name encoded to one token. */
export function predictionsSubject(tenant: string, model: string): string {
  return `predictions.${assertSubjectToken('tenant', tenant)}.${encodeSubjectToken(model)}`;
}

/** actuals.<tenant>.<model>, the model name encoded to one token. */
export function actualsSubject(tenant: string, model: string): string {
  return `actuals.${assertSubjectToken('tenant', tenant)}.${encodeSubjectToken(model)}`;
}

/** The subject of one kind of observation of a model. */
export function observationSubject(kind: ObservationKind, tenant: string, model: string): string {
  return kind === 'prediction' ? predictionsSubject(tenant, model) : actualsSubject(tenant, model);
}

/** deadletter.observations.<tenant>: messages the retrainer refused, with the reason. */
export function observationsDeadLetterSubject(tenant: string): string {
  return `deadletter.observations.${assertSubjectToken('tenant', tenant)}`;
}

/** Header of a dead-lettered observation message naming what was wrong with it. */
export const OBSERVATION_DEAD_LETTER_REASON_HEADER = 'Iotwins-Dead-Letter-Reason';

/** Most observations one message (or one REST batch) may carry. */
export const MAX_OBSERVATIONS_PER_MESSAGE = 10_000;

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });

/**
 * One prediction or one actual value. It pairs with its counterpart by `id`, or, when the
 * edge has no id, by `series` and `timestamp` (the same reading on both sides). The value is
 * a number (regression) or a class label (classification); NaN and infinities are refused.
 */
export const observationSchema = z
  .object({
    id: z.string().min(1).max(256).optional(),
    series: z.string().min(1).max(256).optional(),
    /** ISO 8601 time or milliseconds since the epoch. */
    timestamp: z
      .union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()])
      .optional(),
    value: z.union([finite, z.string().min(1).max(256), z.boolean()]),
    /** The model version that made a prediction, when the edge knows it. */
    version: z.number().int().positive().optional(),
    /** Model inputs of a prediction, for input drift against the version's reference profile. */
    features: z.record(z.string().min(1).max(256), finite).optional(),
  })
  .strict()
  .refine((o) => o.id !== undefined || (o.series !== undefined && o.timestamp !== undefined), {
    message: 'needs an id, or a series and a timestamp, to pair prediction and actual',
  });
export type Observation = z.infer<typeof observationSchema>;

const observationListSchema = z.array(observationSchema).min(1).max(MAX_OBSERVATIONS_PER_MESSAGE);

/** A message body: one observation, or an array of them from the same model. */
export const observationMessageSchema = z.union([observationSchema, observationListSchema]);
export type ObservationMessage = z.infer<typeof observationMessageSchema>;

/**
 * Validates a message body as a list of observations. Objects and arrays are checked by
 * their own schema, so an error names the field (`/3/value`) rather than the union.
 */
export function parseObservationMessage(
  body: unknown,
): { success: true; data: Observation[] } | { success: false; error: z.ZodError } {
  if (Array.isArray(body)) return observationListSchema.safeParse(body);
  const one = observationSchema.safeParse(body);
  return one.success ? { success: true, data: [one.data] } : { success: false, error: one.error };
}

/** The key that pairs a prediction with its actual value. */
export function pairingKey(observation: Observation): string {
  if (observation.id !== undefined) return `id:${observation.id}`;
  const at =
    typeof observation.timestamp === 'number'
      ? observation.timestamp
      : Date.parse(observation.timestamp as string);
  return `st:${observation.series}@${at}`;
}
