import { z } from 'zod';
import { sinkSourceSchema } from '../../connector.sink';
import { tenantBucketSchema } from '../object-files/object-files.config';

export const BATCH_FORMATS = ['parquet', 'csv'] as const;
export type BatchFormat = (typeof BATCH_FORMATS)[number];

/** Tokens a key template may hold; {measurement} is required (one file per measurement). */
export const KEY_TOKENS = ['measurement', 'windowStart', 'firstSeq', 'format'] as const;

export const objectBatchSinkConfigSchema = z
  .object({
    /** The tenant's telemetry, narrowed by a subject filter (a measurement, `*` or `>`). */
    source: sinkSourceSchema
      .refine((source) => source.stream === 'telemetry', {
        message: 'an object batch sink reads telemetry',
        path: ['stream'],
      })
      .default({
        stream: 'telemetry',
        filter: '>',
        from: 'new',
        batchSize: 100,
        maxDeliveries: 8,
        retryDelaySeconds: 1,
      }),
    /** One of the tenant's buckets with ACL tenant-write. */
    bucket: tenantBucketSchema,
    /**
     * Key of each file: {measurement}, {windowStart} (RFC 3339, e.g. 2026-11-24T10:05:00Z),
     * {firstSeq} (stream sequence of its first message, unique per file), {format}.
     */
    keyTemplate: z
      .string()
      .min(1)
      .max(512)
      .refine((template) => template.includes('{measurement}'), {
        message: 'must contain {measurement}: each file holds one measurement',
      })
      .refine((template) => template.includes('{firstSeq}'), {
        message: 'must contain {firstSeq}: it keeps two files of one window apart',
      })
      .refine(
        (template) =>
          [...template.matchAll(/\{([^}]*)\}/g)].every((match) =>
            (KEY_TOKENS as readonly string[]).includes(match[1]!),
          ),
        { message: `tokens are ${KEY_TOKENS.map((token) => `{${token}}`).join(', ')}` },
      )
      .refine((template) => !template.startsWith('/') && !/(^|\/)\.\.?(\/|$)/.test(template), {
        message: 'expected a key without a leading "/" or "." / ".." segments',
      })
      .default('telemetry/{measurement}/{windowStart}-{firstSeq}.{format}'),
    format: z.enum(BATCH_FORMATS).default('parquet'),
    /** A file is written at least this often while data flows... */
    windowSeconds: z.number().int().min(1).max(3_600).default(300),
    /** ...or as soon as this many points wait (whichever comes first). */
    maxPoints: z.number().int().min(1).max(1_000_000).default(100_000),
  })
  .strict();
export type ObjectBatchSinkConfig = z.infer<typeof objectBatchSinkConfigSchema>;

/** The fixed part of a key template: the prefix its scoped credentials are limited to. */
export function templatePrefix(template: string): string {
  const fixed = template.slice(0, template.search(/\{|$/));
  return fixed.slice(0, fixed.lastIndexOf('/') + 1);
}

/** A file's key from the template. */
export function batchKey(
  template: string,
  values: { measurement: string; windowStart: Date; firstSeq: number; format: BatchFormat },
): string {
  return template.replace(/\{(measurement|windowStart|firstSeq|format)\}/g, (_, token: string) => {
    switch (token) {
      case 'measurement':
        return values.measurement.replace(/[^A-Za-z0-9._-]/g, '_');
      case 'windowStart':
        return values.windowStart.toISOString().replace('.000Z', 'Z');
      case 'firstSeq':
        return String(values.firstSeq);
      default:
        return values.format;
    }
  });
}

/** The start of the window a moment falls in: windows are aligned to the epoch. */
export function windowStartOf(nowMs: number, windowSeconds: number): Date {
  const size = windowSeconds * 1000;
  return new Date(Math.floor(nowMs / size) * size);
}
