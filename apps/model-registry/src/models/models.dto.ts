import { z } from 'zod';
import { pageQuerySchema } from '../common/page-query';
import { modelNameSchema, tagsSchema } from './model-name';

export const createModelSchema = z
  .object({
    name: modelNameSchema,
    description: z.string().max(10_000).default(''),
    tags: tagsSchema.default({}),
  })
  .strict();
export type CreateModelInput = z.infer<typeof createModelSchema>;

/** Only these change after creation; a new name is a rename. */
export const updateModelSchema = z
  .object({
    name: modelNameSchema.optional(),
    description: z.string().max(10_000).optional(),
    tags: tagsSchema.optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'give at least one of name, description, tags');
export type UpdateModelInput = z.infer<typeof updateModelSchema>;

export const FRAMEWORKS = ['pytorch', 'tensorflow', 'keras', 'onnx', 'sklearn', 'other'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

const single = (name: string) => z.string({ message: `${name} may be given once` }).optional();

export const listModelsQuerySchema = (maxLimit: number) =>
  pageQuerySchema(maxLimit)
    .extend({
      prefix: single('prefix'),
      /** tag=key or tag=key=value, repeatable. */
      tag: z
        .union([z.string(), z.array(z.string())])
        .optional()
        .transform((tag) => (tag === undefined ? [] : Array.isArray(tag) ? tag : [tag])),
      framework: z
        .enum(FRAMEWORKS, { message: `framework must be one of ${FRAMEWORKS.join(', ')}` })
        .optional(),
      cursor: single('cursor'),
    })
    .strict();

export interface ModelView {
  name: string;
  description: string;
  tags: Record<string, string>;
  aliases: Record<string, number>;
  frameworks: string[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface ModelListView {
  models: ModelView[];
  /** Pass as ?cursor= for the next page; absent on the last page. */
  nextCursor?: string;
}
