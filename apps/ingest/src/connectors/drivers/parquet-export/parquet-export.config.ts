import { z } from 'zod';
import { parseRfc3339Nanoseconds } from '@iotwins/telemetry';
import { measurementSchema, tenantBucketSchema } from '../object-files/object-files.config';

const rfc3339 = z.string().refine((value) => parseRfc3339Nanoseconds(value) !== undefined, {
  message: 'expected an RFC 3339 time, e.g. 2026-11-24T00:00:00Z',
});

export const parquetExportConfigSchema = z
  .object({
    measurement: measurementSchema,
    /** From (inclusive) and to (exclusive). */
    start: rfc3339,
    end: rfc3339,
    /** One of the tenant's buckets with ACL tenant-write. */
    bucket: tenantBucketSchema,
    /** The object written; default exports/<measurement>/<start>_<end>.parquet. */
    key: z
      .string()
      .min(1)
      .max(1024)
      .refine(
        (key) => !key.startsWith('/') && !/(^|\/)\.\.?(\/|$)/.test(key) && !key.endsWith('/'),
        {
          message:
            'expected an object key without a leading "/", "." / ".." segments or a trailing "/"',
        },
      )
      .optional(),
  })
  .strict()
  .refine(
    (config) =>
      (parseRfc3339Nanoseconds(config.start) ?? 0n) < (parseRfc3339Nanoseconds(config.end) ?? 0n),
    { message: 'end must be after start', path: ['end'] },
  );
export type ParquetExportConfig = z.infer<typeof parquetExportConfigSchema>;

/** The key of the exported file. */
export function exportKey(config: ParquetExportConfig): string {
  if (config.key) return config.key;
  const stamp = (time: string) => time.replace(/[:]/g, '');
  return `exports/${config.measurement}/${stamp(config.start)}_${stamp(config.end)}.parquet`;
}

/** Where an export is, once done: a new configuration (another range) starts a new one. */
export const exportCursorSchema = z.object({
  done: z.literal(true),
  key: z.string(),
  points: z.number(),
  at: z.string(),
});
