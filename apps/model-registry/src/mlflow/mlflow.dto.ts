import { z } from 'zod';

const tag = z.object({ key: z.string().min(1).max(250), value: z.string().max(5_000).default('') });
/** MLflow sends versions as strings ("3"); numbers are accepted too. */
const versionNumber = z
  .union([
    z.string().regex(/^[1-9][0-9]{0,9}$/, 'version must be a positive integer'),
    z.number().int().positive(),
  ])
  .transform(Number);
const name = z.string().min(1, 'name is required');

export const createRegisteredModelSchema = z.object({
  name,
  tags: z.array(tag).max(100).default([]),
  description: z.string().max(10_000).optional(),
});
export const nameOnlySchema = z.object({ name });
export const renameSchema = z.object({ name, new_name: z.string().min(1, 'new_name is required') });
export const updateRegisteredModelSchema = z.object({
  name,
  description: z.string().max(10_000).default(''),
});
export const searchSchema = z.object({
  filter: z.string().max(2_000).optional(),
  max_results: z.coerce.number().int().min(1).max(100_000).optional(),
  page_token: z.string().optional(),
  order_by: z.union([z.string(), z.array(z.string())]).optional(),
});
export const modelTagSchema = z.object({
  name,
  key: z.string().min(1),
  value: z.string().max(5_000).default(''),
});
export const modelTagKeySchema = z.object({ name, key: z.string().min(1) });
export const setAliasSchema = z.object({ name, alias: z.string().min(1), version: versionNumber });
export const aliasSchema = z.object({ name, alias: z.string().min(1) });
export const latestVersionsSchema = z.object({ name, stages: z.array(z.string()).optional() });
export const createModelVersionSchema = z.object({
  name,
  source: z.string().min(1, 'source is required'),
  run_id: z.string().max(256).optional(),
  tags: z.array(tag).max(100).default([]),
  run_link: z.string().optional(),
  description: z.string().max(10_000).optional(),
  model_id: z.string().optional(),
});
export const versionRefSchema = z.object({ name, version: versionNumber });
export const updateModelVersionSchema = z.object({
  name,
  version: versionNumber,
  description: z.string().max(10_000).default(''),
});
export const versionTagSchema = z.object({
  name,
  version: versionNumber,
  key: z.string().min(1),
  value: z.string().max(5_000).default(''),
});
export const versionTagKeySchema = z.object({
  name,
  version: versionNumber,
  key: z.string().min(1),
});
