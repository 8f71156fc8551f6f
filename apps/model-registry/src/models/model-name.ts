import { z } from 'zod';
import { storeSafeText } from '@iotwins/http';

/**
 * The one name rule of each resource, used by the REST routes, the MLflow routes and the NATS
 * requests alike, so a name made on one is valid on every other (docs/model-registry.md).
 *
 * Model names travel in URL paths and in `<name>@<alias>` references, so they hold no slash,
 * no @ and no whitespace: letters, digits, dot, underscore and hyphen, beginning with a
 * letter or digit. This rule applies where a name is made (create, rename).
 */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const modelNameSchema = z
  .string()
  .regex(
    MODEL_NAME,
    'must be 1 to 128 letters, digits, ".", "_" or "-", beginning with a letter or digit',
  );

/**
 * A model name as a look-up (get, delete, a version's or alias's model): any text the store
 * accepts. Wider than the rule above on purpose: a model created before the MLflow routes
 * kept the rule (e.g. "../x") stays readable, renameable and deletable; a NUL or a lone
 * surrogate is a 400 naming the field, never a 500 from the store.
 */
export const modelRefSchema = storeSafeText(1_024).min(1, 'is required');

/** Aliases as MLflow has them: production, staging, edge-TransformerXXY. */
export const ALIAS_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
export const aliasNameSchema = z
  .string()
  .regex(ALIAS_NAME, 'must be 1 to 63 letters, digits, "_" or "-", beginning with a letter');

/** Tag keys: no whitespace, no text the store refuses; the same on REST and MLflow. */
export const tagKeySchema = storeSafeText(250)
  .min(1)
  .regex(/^[^\s]+$/, 'tag keys hold no whitespace');
export const tagValueSchema = storeSafeText(5_000);

/** Tags: free-form key/value pairs, bounded so a model document stays small. */
export const tagsSchema = z
  .record(tagKeySchema, tagValueSchema)
  .refine((tags) => Object.keys(tags).length <= 100, 'at most 100 tags');
export type Tags = z.infer<typeof tagsSchema>;

/** A tag filter of a search: `key` (the tag is set) or `key=value`. */
export function tagIndexEntries(tags: Tags): string[] {
  return Object.entries(tags).flatMap(([key, value]) => [key, `${key}=${value}`]);
}
