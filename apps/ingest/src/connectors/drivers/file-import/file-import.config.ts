import { z } from 'zod';
import {
  keyPrefixSchema,
  measurementSchema,
  tenantBucketSchema,
} from '../object-files/object-files.config';

export const IMPORT_FORMATS = ['auto', 'csv', 'json', 'line-protocol', 'parquet'] as const;
export type ImportFormat = Exclude<(typeof IMPORT_FORMATS)[number], 'auto'>;

export const fileImportConfigSchema = z
  .object({
    /** One of the tenant's buckets (ACL tenant-write: the connector writes reports into it). */
    bucket: tenantBucketSchema,
    /** Only objects under this key prefix are imported ("" = the whole bucket). */
    prefix: keyPrefixSchema,
    /** `auto` (default): by extension (.csv, .json, .lp/.line, .parquet), then content type. */
    format: z.enum(IMPORT_FORMATS).default('auto'),
    /** Measurement of CSV rows and JSON points without one, and of Parquet rows without a column. */
    measurement: measurementSchema.optional(),
    /** Unit of integer times: default ns for line protocol and Parquet INT64, ms for CSV and JSON. */
    precision: z.enum(['ns', 'us', 'ms', 's', 'm', 'h']).optional(),
    /** Parquet columns that are tags (besides `tag:<name>` columns and the file's iotwins.tags). */
    tags: z.array(z.string().min(1).max(256)).max(64).default([]),
    /** Deliveries of an object-created event before the file is given up on (dead-lettered). */
    maxDeliveries: z.number().int().min(1).max(100).default(5),
  })
  .strict();
export type FileImportConfig = z.infer<typeof fileImportConfigSchema>;
