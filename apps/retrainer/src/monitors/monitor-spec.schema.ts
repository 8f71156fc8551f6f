import { z } from 'zod';
import { nameUnsafeTextReason, storeUnsafeStrings } from '@iotwins/http';

/** A model name as the retrainer takes it anywhere: 1–256 characters the stores accept. */
export const modelNameSchema = z
  .string()
  .min(1)
  .max(256)
  .superRefine((value, ctx) => {
    const reason = nameUnsafeTextReason(value);
    if (reason) ctx.addIssue({ code: 'custom', message: `model ${reason}` });
  });

export const REGRESSION_METRICS = ['mae', 'rmse', 'mape'] as const;
export const CLASSIFICATION_METRICS = ['accuracy', 'precision', 'recall', 'f1'] as const;
export const METRICS = [...REGRESSION_METRICS, ...CLASSIFICATION_METRICS] as const;
export type MetricName = (typeof METRICS)[number];
export type Task = 'regression' | 'classification';

/** Error metrics get worse as they grow; scores get worse as they shrink. */
export function higherIsWorse(metric: MetricName): boolean {
  return (REGRESSION_METRICS as readonly string[]).includes(metric);
}

const positiveInt = (what: string) =>
  z
    .number({ message: `${what} must be a number` })
    .int(`${what} must be an integer`)
    .min(1, {
      message: `${what} must be at least 1`,
    });

const windowSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('count'), size: positiveInt('window size') }).strict(),
  z.object({ kind: z.literal('time'), seconds: positiveInt('window seconds') }).strict(),
]);

const toleranceSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('absolute'),
      /** The metric must stay at or above this (scores). */
      min: z.number().refine(Number.isFinite, 'must be finite').optional(),
      /** The metric must stay at or below this (errors). */
      max: z.number().refine(Number.isFinite, 'must be finite').optional(),
    })
    .strict()
    .refine((t) => t.min !== undefined || t.max !== undefined, {
      message: 'an absolute tolerance needs min, max or both',
    })
    .refine((t) => t.min === undefined || t.max === undefined || t.min <= t.max, {
      message: 'min must not exceed max',
    }),
  z
    .object({
      kind: z.literal('relative'),
      /** Fraction of the version's validation metric the live metric may worsen by. */
      maxDegradation: z.number().positive('maxDegradation must be above 0').max(10),
    })
    .strict(),
]);

const actionsSchema = z
  .object({
    /** Publish events.<tenant>.retrainer.retrain.requested. */
    retrain: z.boolean().default(false),
    webhook: z
      .object({
        url: z.url({ protocol: /^https?$/, message: 'webhook url must be an http(s) URL' }),
        /** Key of the HMAC-SHA256 signature; stored, never returned. */
        secret: z.string().min(16, 'webhook secret must have at least 16 characters').max(256),
      })
      .strict()
      .optional(),
    /**
     * Take the degraded version out of use: move the alias to fallbackVersion, or remove it
     * (null). A monitor pinned to a version deactivates that version instead.
     */
    deactivate: z
      .object({ fallbackVersion: z.number().int().positive().nullable().default(null) })
      .strict()
      .optional(),
  })
  .strict();

const driftSchema = z
  .object({
    /** Population stability index above which a window counts as drifted. */
    threshold: z.number().positive().max(10).default(0.2),
    /** Predictions (with features) per drift window. */
    windowSize: positiveInt('drift windowSize'),
    /** Features to compare; default every feature of the version's input profile. */
    features: z.array(z.string().min(1).max(256)).min(1).max(200).optional(),
    consecutiveBadWindows: positiveInt('drift consecutiveBadWindows').default(1),
  })
  .strict();

export const monitorSpecSchema = z
  .object({
    model: modelNameSchema,
    // The registry's alias rule (model-registry.requests.ts), so a monitor never names an
    // alias the registry would refuse.
    alias: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9_-]{0,62}$/,
        'alias must start with a letter, then up to 62 of A-Z a-z 0-9 _ -',
      )
      .optional(),
    version: z.number().int().positive().optional(),
    description: z.string().max(1000).optional(),
    task: z.enum(['regression', 'classification']),
    metric: z.enum(METRICS),
    /** Class of precision, recall and F1; without it they are macro-averaged over classes. */
    positiveLabel: z.union([z.string().min(1).max(256), z.number(), z.boolean()]).optional(),
    tolerance: toleranceSchema,
    window: windowSchema,
    /** Paired observations on the current version before any window is judged. */
    minObservations: z.number().int().min(0).default(0),
    consecutiveBadWindows: positiveInt('consecutiveBadWindows').default(1),
    /** Consecutive windows back in band before a degraded monitor counts as recovered. */
    recoveryWindows: positiveInt('recoveryWindows').default(1),
    /** No second action within this many seconds of the last one. */
    cooldownSeconds: z.number().int().min(0).default(3600),
    actions: actionsSchema.default({ retrain: false }),
    drift: driftSchema.optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    // The spec is stored whole as jsonb: any text PostgreSQL refuses is refused here.
    for (const { path, reason } of storeUnsafeStrings(spec, [], [], 10))
      ctx.addIssue({ code: 'custom', path, message: reason });
    if ((spec.alias === undefined) === (spec.version === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['alias'],
        message: 'give exactly one of alias and version',
      });
    }
    const fits =
      spec.task === 'regression'
        ? (REGRESSION_METRICS as readonly string[]).includes(spec.metric)
        : (CLASSIFICATION_METRICS as readonly string[]).includes(spec.metric);
    if (!fits) {
      ctx.addIssue({
        code: 'custom',
        path: ['metric'],
        message: `metric ${spec.metric} does not fit task ${spec.task} (${
          spec.task === 'regression'
            ? REGRESSION_METRICS.join(', ')
            : CLASSIFICATION_METRICS.join(', ')
        })`,
      });
    }
    if (spec.positiveLabel !== undefined && spec.task !== 'classification') {
      ctx.addIssue({
        code: 'custom',
        path: ['positiveLabel'],
        message: 'positiveLabel applies to classification only',
      });
    }
    if (spec.actions.deactivate?.fallbackVersion != null && spec.alias === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['actions', 'deactivate', 'fallbackVersion'],
        message: 'a fallback version needs a monitor that follows an alias',
      });
    }
  });

export type MonitorSpec = z.infer<typeof monitorSpecSchema>;
