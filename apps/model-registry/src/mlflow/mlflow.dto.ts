import { z } from 'zod';
import { storeSafeText } from '@iotwins/http';
import {
  aliasNameSchema,
  modelNameSchema,
  modelRefSchema,
  tagKeySchema,
  tagValueSchema,
} from '../models/model-name';

/*
 * The same name rules as the REST routes (models/model-name.ts): a model is made (create,
 * rename) only under a name GET /v1/models/{model} accepts, and looked up by any name the
 * store holds. Before, create took any string, so "../x", "a/b" or U+202E made models the
 * REST API refused to create and a NUL answered 500.
 */
const tag = z.object({ key: tagKeySchema, value: tagValueSchema.default('') });
/** MLflow sends versions as strings ("3"); numbers are accepted too. */
const versionNumber = z
  .union([
    z.string().regex(/^[1-9][0-9]{0,9}$/, 'version must be a positive integer'),
    z.number().int().positive(),
  ])
  .transform(Number);
const name = modelRefSchema;
const description = storeSafeText(10_000);

export const createRegisteredModelSchema = z.object({
  name: modelNameSchema,
  tags: z.array(tag).max(100).default([]),
  description: description.optional(),
});
export const nameOnlySchema = z.object({ name });
export const renameSchema = z.object({ name, new_name: modelNameSchema });
export const updateRegisteredModelSchema = z.object({
  name,
  description: description.default(''),
});
export const searchSchema = z.object({
  filter: z.string().max(2_000).optional(),
  max_results: z.coerce.number().int().min(1).max(100_000).optional(),
  page_token: z.string().optional(),
  order_by: z.union([z.string(), z.array(z.string())]).optional(),
});
export const modelTagSchema = z.object({
  name,
  key: tagKeySchema,
  value: tagValueSchema.default(''),
});
/** Deleting a tag takes any key the store holds, so a tag set before the rule can go. */
const tagKeyRef = storeSafeText(250).min(1);
export const modelTagKeySchema = z.object({ name, key: tagKeyRef });
export const setAliasSchema = z.object({ name, alias: aliasNameSchema, version: versionNumber });
export const aliasSchema = z.object({ name, alias: aliasNameSchema });
export const latestVersionsSchema = z.object({ name, stages: z.array(z.string()).optional() });
export const createModelVersionSchema = z.object({
  name,
  source: z.string().min(1, 'source is required'),
  run_id: z.string().max(256).optional(),
  tags: z.array(tag).max(100).default([]),
  run_link: z.string().optional(),
  description: description.optional(),
  model_id: z.string().optional(),
});
export const versionRefSchema = z.object({ name, version: versionNumber });
export const updateModelVersionSchema = z.object({
  name,
  version: versionNumber,
  description: description.default(''),
});
export const versionTagSchema = z.object({
  name,
  version: versionNumber,
  key: tagKeySchema,
  value: tagValueSchema.default(''),
});
export const versionTagKeySchema = z.object({
  name,
  version: versionNumber,
  key: tagKeyRef,
});
