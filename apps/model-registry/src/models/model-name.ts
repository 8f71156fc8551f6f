import { z } from 'zod';

/**
 * Model names travel in URL paths and in `<name>@<alias>` references, so they hold no slash,
 * no @ and no whitespace: letters, digits, dot, underscore and hyphen, beginning with a
 * letter or digit.
 */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const modelNameSchema = z
  .string()
  .regex(
    MODEL_NAME,
    'must be 1 to 128 letters, digits, ".", "_" or "-", beginning with a letter or digit',
  );

/** Aliases as MLflow has them: production, staging, edge-TransformerXXY. */
export const ALIAS_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
export const aliasNameSchema = z
  .string()
  .regex(ALIAS_NAME, 'must be 1 to 63 letters, digits, "_" or "-", beginning with a letter');

/** Tags: free-form key/value pairs, bounded so a model document stays small. */
export const tagsSchema = z
  .record(
    z
      .string()
      .min(1)
      .max(250)
      .regex(/^[^\s]+$/, 'tag keys hold no whitespace'),
    z.string().max(5_000),
  )
  .refine((tags) => Object.keys(tags).length <= 100, 'at most 100 tags');
export type Tags = z.infer<typeof tagsSchema>;

/** A tag filter of a search: `key` (the tag is set) or `key=value`. */
export function tagIndexEntries(tags: Tags): string[] {
  return Object.entries(tags).flatMap(([key, value]) => [key, `${key}=${value}`]);
}
