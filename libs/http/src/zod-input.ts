import type { z } from 'zod';
import { ProblemException, type ProblemItem } from './problem-details';

/** RFC 6901 pointer of a zod issue path. */
export function pointerOf(path: readonly PropertyKey[]): string {
  return `/${path.map((part) => String(part).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

/** Every issue of a failed parse as a problem item naming the field (below `base`). */
export function problemItems(error: z.ZodError, base: readonly PropertyKey[] = []): ProblemItem[] {
  return error.issues.map((issue) => ({
    pointer: pointerOf([...base, ...issue.path]),
    detail: issue.message,
  }));
}

/**
 * Every app's validation of one outside input (a JSON body, a query string, a form field,
 * a message): the value its zod schema makes of it, or a 400 problem listing every bad field
 * as a JSON pointer (`errors`), the detail naming them too.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  type = 'validation-failed',
  base: readonly PropertyKey[] = [],
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidInput(what, problemItems(result.error, base), type);
}

/** The 400 of `parseInput`, for checks a schema cannot make (e.g. an expression's syntax). */
export function invalidInput(
  what: string,
  errors: ProblemItem[],
  type = 'validation-failed',
): ProblemException {
  return ProblemException.of(
    400,
    type,
    `The ${what} is not valid: ${errors.map((e) => `${e.pointer} ${e.detail}`).join('; ')}`,
    { errors },
  );
}
