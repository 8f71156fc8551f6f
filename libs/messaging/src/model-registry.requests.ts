import { z } from 'zod';

/**
 * Request-reply operations of the model registry, over @nestjs/microservices' NATS transport:
 * the pattern is the NATS subject. Callers (the retrainer) use a ClientProxy of the same
 * transport. Renaming a subject or changing a shape breaks callers: it needs a migration.
 * Errors come back as problem objects `{ status, type, title, detail }`, which the client
 * surfaces as a rejected promise.
 */
export const ModelRegistryRequest = {
  VersionGet: 'svc.model-registry.version.get',
  AliasSet: 'svc.model-registry.alias.set',
  VersionDeactivate: 'svc.model-registry.version.deactivate',
} as const;
export type ModelRegistryRequest = (typeof ModelRegistryRequest)[keyof typeof ModelRegistryRequest];

/** The queue group every registry replica joins, so each request is answered once. */
export const MODEL_REGISTRY_QUEUE = 'model-registry';

const tenant = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'tenant must be one tenant name');
const modelName = z.string().min(1).max(256);
const aliasName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, 'not an alias name');

export const versionGetRequestSchema = z
  .object({
    tenant,
    model: modelName,
    version: z.number().int().positive().optional(),
    alias: aliasName.optional(),
  })
  .strict()
  .refine((r) => (r.version === undefined) !== (r.alias === undefined), {
    message: 'give exactly one of version and alias',
  });
export type VersionGetRequest = z.infer<typeof versionGetRequestSchema>;

export const aliasSetRequestSchema = z
  .object({
    tenant,
    model: modelName,
    alias: aliasName,
    version: z.number().int().positive().nullable(),
    reason: z.string().min(1).max(2_000),
  })
  .strict();
export type AliasSetRequest = z.infer<typeof aliasSetRequestSchema>;

export const versionDeactivateRequestSchema = z
  .object({
    tenant,
    model: modelName,
    version: z.number().int().positive(),
    reason: z.string().min(1).max(2_000),
  })
  .strict();
export type VersionDeactivateRequest = z.infer<typeof versionDeactivateRequestSchema>;

export const VERSION_STATUSES = ['ready', 'archived', 'deactivated'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

export const registryVersionReplySchema = z.object({
  model: z.string(),
  version: z.number().int().positive(),
  status: z.enum(VERSION_STATUSES),
  aliases: z.array(z.string()),
  metrics: z.record(z.string(), z.number()),
  validationMetric: z.object({ name: z.string(), value: z.number() }).optional(),
  lineage: z.object({
    trainingData: z.unknown().optional(),
    codeRevision: z.string().optional(),
    runId: z.string().optional(),
  }),
  inputProfile: z
    .object({
      features: z.record(
        z.string(),
        z.object({ bins: z.array(z.number()), counts: z.array(z.number()) }),
      ),
    })
    .optional(),
});
export type RegistryVersionReply = z.infer<typeof registryVersionReplySchema>;

/** The reply of alias.set when the alias was removed. */
export const aliasRemovedReplySchema = z.object({ alias: z.string(), version: z.null() });
export type AliasRemovedReply = z.infer<typeof aliasRemovedReplySchema>;

/** The error object a failed request rejects with. */
export const registryProblemSchema = z.object({
  status: z.number().int(),
  type: z.string(),
  title: z.string(),
  detail: z.string().optional(),
});
export type RegistryProblem = z.infer<typeof registryProblemSchema>;
