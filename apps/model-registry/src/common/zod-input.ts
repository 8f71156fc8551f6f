import { ProblemException, type ProblemItem } from '@iotwins/http';
import type { z } from 'zod';

/**
 * Validates one outside input (a JSON body, a query string, a form field) with its zod schema;
 * a failure is a 400 problem listing every bad field as a JSON pointer into `where`.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'metadata' | 'request',
  slug = 'invalid-request',
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: ProblemItem[] = result.error.issues.map((issue) => ({
    pointer: `/${issue.path.map(String).join('/')}`,
    detail: issue.message,
  }));
  throw ProblemException.of(
    400,
    slug,
    `The ${where} is not valid: ${errors.map((e) => `${e.pointer} ${e.detail}`).join('; ')}`,
    { errors },
  );
}
