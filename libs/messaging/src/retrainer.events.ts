import { z } from 'zod';
import { assertSubjectToken } from './subject-token';

/**
 * Events of the retrainer: events.<tenant>.retrainer.<entity>.<action>. Type names carry a
 * version; renaming a subject or type breaks subscribers (training pipelines) and needs a
 * migration.
 */
export const RetrainerEventType = {
  MonitorStateChanged: 'retrainer.monitor.state-changed.v1',
  RetrainRequested: 'retrainer.retrain.requested.v1',
  ModelDeactivated: 'retrainer.model.deactivated.v1',
} as const;
export type RetrainerEventType = (typeof RetrainerEventType)[keyof typeof RetrainerEventType];

/** events.<tenant>.retrainer.retrain.requested for retrainer.retrain.requested.v1. */
export function retrainerEventSubject(tenant: string, type: RetrainerEventType): string {
  const action = type.replace(/^retrainer\./, '').replace(/\.v[0-9]+$/, '');
  return `events.${assertSubjectToken('tenant', tenant)}.retrainer.${action}`;
}

/** The subjects of every retrainer event of one tenant, for subscribers. */
export function retrainerEventsOf(tenant: string): string {
  return `events.${assertSubjectToken('tenant', tenant)}.retrainer.>`;
}

export const MONITOR_STATES = [
  'collecting',
  'healthy',
  'degraded',
  'action-taken',
  'recovered',
] as const;
export type MonitorState = (typeof MONITOR_STATES)[number];

export const monitorStateChangedEventDataSchema = z.object({
  monitorId: z.string(),
  model: z.string(),
  alias: z.string().nullable(),
  version: z.number().int().nullable(),
  from: z.enum(MONITOR_STATES),
  to: z.enum(MONITOR_STATES),
  reason: z.string(),
});
export type MonitorStateChangedEventData = z.infer<typeof monitorStateChangedEventDataSchema>;

/** One evaluated window, as kept in a monitor's history. */
export const windowEvaluationSchema = z.object({
  window: z.number().int(),
  trigger: z.enum(['metric', 'drift']),
  metric: z.string(),
  value: z.number(),
  observations: z.number().int(),
  lower: z.number().nullable(),
  upper: z.number().nullable(),
  outOfBand: z.boolean(),
  /** False while the monitor is still collecting its minimum number of observations. */
  judged: z.boolean(),
  /** For drift windows: the feature with the largest index. */
  feature: z.string().optional(),
  closedAt: z.string(),
});
export type WindowEvaluation = z.infer<typeof windowEvaluationSchema>;

export const retrainRequestedEventDataSchema = z.object({
  monitorId: z.string(),
  model: z.string(),
  alias: z.string().nullable(),
  version: z.number().int(),
  reason: z.string(),
  /** The windows that broke the tolerance, oldest first, with those before them. */
  history: z.array(windowEvaluationSchema),
  /** The training-data reference from the version's lineage in the registry. */
  trainingData: z.unknown().optional(),
  codeRevision: z.string().optional(),
  runId: z.string().optional(),
});
export type RetrainRequestedEventData = z.infer<typeof retrainRequestedEventDataSchema>;

export const modelDeactivatedEventDataSchema = z.object({
  monitorId: z.string(),
  model: z.string(),
  alias: z.string().nullable(),
  /** The degraded version taken out of use. */
  version: z.number().int(),
  /** Where the alias points now; null when it was removed or the version was deactivated. */
  fallbackVersion: z.number().int().nullable(),
  reason: z.string(),
});
export type ModelDeactivatedEventData = z.infer<typeof modelDeactivatedEventDataSchema>;
