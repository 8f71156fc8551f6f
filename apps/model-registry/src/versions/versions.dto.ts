import { z } from 'zod';
import { pageQuerySchema } from '../common/page-query';
import { VERSION_STATUSES } from '@iotwins/messaging';
import { FRAMEWORKS } from '../models/models.dto';
import { tagsSchema } from '../models/model-name';
import { storeSafeDocument } from '../common/store-safe-document';

const tensorSpec = z
  .object({
    name: z.string().max(256).optional(),
    dtype: z.string().min(1).max(64),
    shape: z.array(z.number().int().min(-1)).max(32),
  })
  .strict();

/** Where the training data came from: a timeseries query or objects of the objectstore. */
const trainingDataSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('timeseries'),
      /** The query as sent to the timeseries API (measurement, fields, range, filters). */
      query: z.record(z.string(), z.unknown()),
    })
    .strict(),
  z
    .object({
      kind: z.literal('objects'),
      bucket: z.string().min(1).max(63),
      keys: z.array(z.string().min(1).max(1024)).min(1).max(1_000),
    })
    .strict(),
]);

/**
 * The "metadata" part of a version upload; it comes before the files. Streamed, so the
 * request interceptor never sees it: its own text is checked against what the store refuses.
 */
export const versionMetadataSchema = storeSafeDocument(
  z
    .object({
      framework: z
        .object({
          name: z.enum(FRAMEWORKS, {
            message: `framework.name must be one of ${FRAMEWORKS.join(', ')}`,
          }),
          version: z.string().min(1).max(64),
        })
        .strict(),
      description: z.string().max(10_000).default(''),
      tags: tagsSchema.default({}),
      signature: z
        .object({ inputs: z.array(tensorSpec).max(256), outputs: z.array(tensorSpec).max(256) })
        .strict()
        .optional(),
      hyperparameters: z
        .record(z.string().max(250), z.union([z.string().max(5_000), z.number(), z.boolean()]))
        .default({}),
      metrics: z.record(z.string().max(250), z.number()).default({}),
      /** The metric the retrainer compares live accuracy against. */
      validationMetric: z
        .object({
          name: z.string().min(1).max(250),
          value: z.number(),
          higherIsBetter: z.boolean().default(true),
        })
        .strict()
        .optional(),
      lineage: z
        .object({
          trainingData: trainingDataSchema.optional(),
          codeRevision: z.string().min(1).max(256).optional(),
          runId: z.string().min(1).max(256).optional(),
        })
        .strict()
        .default({}),
      inputProfile: z
        .object({
          features: z.record(
            z.string(),
            z.object({ bins: z.array(z.number()), counts: z.array(z.number()) }).strict(),
          ),
        })
        .strict()
        .optional(),
    })
    .strict(),
);
export type VersionMetadata = z.infer<typeof versionMetadataSchema>;

/** Only these change once a version exists. */
export const updateVersionSchema = z
  .object({
    description: z.string().max(10_000).optional(),
    tags: tagsSchema.optional(),
    status: z
      .enum(VERSION_STATUSES, { message: `status must be one of ${VERSION_STATUSES.join(', ')}` })
      .optional(),
    reason: z.string().min(1).max(2_000).optional(),
  })
  .strict()
  .refine(
    (body) =>
      body.description !== undefined || body.tags !== undefined || body.status !== undefined,
    'give at least one of description, tags, status',
  );
export type UpdateVersionInput = z.infer<typeof updateVersionSchema>;

export const listVersionsQuerySchema = (maxLimit: number) =>
  pageQuerySchema(maxLimit)
    .extend({
      status: z
        .enum(VERSION_STATUSES, { message: `status must be one of ${VERSION_STATUSES.join(', ')}` })
        .optional(),
    })
    .strict();

/** A path inside a version: relative, no dot segments, printable, at most 512 bytes. */
export function filePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (Buffer.byteLength(path) > 512) return 'is longer than 512 bytes';
  // Control characters are exactly what this rejects.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return 'holds control characters or backslashes';
  if (path.startsWith('/')) return 'is absolute';
  if (path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..'))
    return 'has empty, "." or ".." segments';
  return undefined;
}

export interface FileView {
  path: string;
  size: number;
  sha256: string;
  contentType: string;
}

export interface VersionView {
  model: string;
  version: number;
  status: (typeof VERSION_STATUSES)[number];
  statusReason?: string;
  description: string;
  tags: Record<string, string>;
  aliases: string[];
  framework: { name: string; version: string };
  signature?: unknown;
  hyperparameters: Record<string, unknown>;
  metrics: Record<string, number>;
  validationMetric?: { name: string; value: number; higherIsBetter?: boolean };
  lineage: { trainingData?: unknown; codeRevision?: string; runId?: string };
  inputProfile?: { features: Record<string, { bins: number[]; counts: number[] }> };
  files: FileView[];
  size: number;
  sha256: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}
