import type { z } from 'zod';
import { ProblemException, type ProblemItem } from '@iotwins/http';

/** RFC 6901 pointer of a zod issue path. */
export function pointerOf(path: readonly PropertyKey[]): string {
  return `/${path.map((part) => String(part).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

/** Every issue of a failed parse as a problem item naming the field. */
export function problemItems(error: z.ZodError, base: readonly PropertyKey[] = []): ProblemItem[] {
  return error.issues.map((issue) => ({
    pointer: pointerOf([...base, ...issue.path]),
    detail: issue.message,
  }));
}

/** Parses input with a zod schema or throws a 400 listing every invalid field. */
export function parseOrProblem<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors = problemItems(result.error);
  throw ProblemException.of(
    400,
    'validation-failed',
    `${errors.length} invalid value${errors.length === 1 ? '' : 's'} in the ${what}`,
    { title: 'Request validation failed', errors },
  );
}
