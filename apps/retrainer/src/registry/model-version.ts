import { z } from 'zod';

/**
 * A version as the model registry answers svc.model-registry.version.get (CONTRACTS.md).
 * Checked on receipt: the registry is another service and may be upgraded on its own.
 */
export const modelVersionSchema = z.object({
  model: z.string(),
  version: z.number().int(),
  status: z.enum(['ready', 'archived', 'deactivated']),
  aliases: z.array(z.string()).default([]),
  metrics: z.record(z.string(), z.number()).default({}),
  validationMetric: z.object({ name: z.string(), value: z.number() }).optional(),
  lineage: z
    .object({
      trainingData: z.unknown().optional(),
      codeRevision: z.string().optional(),
      runId: z.string().optional(),
    })
    .passthrough()
    .default({}),
  inputProfile: z
    .object({
      features: z.record(
        z.string(),
        z.object({ bins: z.array(z.number()), counts: z.array(z.number().nonnegative()) }),
      ),
    })
    .optional(),
});
export type ModelVersion = z.infer<typeof modelVersionSchema>;

/** alias.set answers the version object, or `{ alias, version: null }` when removed. */
export const aliasSetReplySchema = z.union([
  modelVersionSchema,
  z.object({ alias: z.string(), version: z.null() }),
]);
export type AliasSetReply = z.infer<typeof aliasSetReplySchema>;

/** The problem object the registry answers instead of a reply. */
export const registryProblemSchema = z.object({
  status: z.number().int(),
  type: z.string().optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
});
