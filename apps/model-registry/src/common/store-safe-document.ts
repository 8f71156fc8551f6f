import type { z } from 'zod';
import { storeUnsafeStrings } from '@iotwins/http';

/**
 * The schema, refusing any string or key inside the parsed value that the metadata store
 * refuses (NUL, lone surrogates), each as an issue at its own path. For inputs that do not
 * pass the request interceptor: the metadata part of a streamed upload, NATS messages.
 */
export function storeSafeDocument<S extends z.ZodType>(schema: S): S {
  return schema.superRefine((value, ctx) => {
    for (const found of storeUnsafeStrings(value))
      ctx.addIssue({ code: 'custom', path: found.path, message: found.reason });
  }) as unknown as S;
}

/**
 * Keys of a free-form map stored as a sub-document (a node's runtime and hardware): a key
 * beginning with "$" or holding a "." is an operator or a path to the store, not a name.
 */
export function fieldNameProblems(
  value: unknown,
  path: PropertyKey[] = [],
  found: Array<{ path: PropertyKey[]; reason: string }> = [],
): Array<{ path: PropertyKey[]; reason: string }> {
  if (found.length >= 20) return found;
  if (Array.isArray(value))
    value.forEach((item, i) => fieldNameProblems(item, [...path, i], found));
  else if (value !== null && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) {
      if (key.startsWith('$') || key.includes('.'))
        found.push({ path: [...path, key], reason: 'keys must not begin with "$" nor hold "."' });
      fieldNameProblems(item, [...path, key], found);
    }
  return found;
}

/** `storeSafeDocument`, refusing keys the store reads as operators or paths as well. */
export function storeSafeMapDocument<S extends z.ZodType>(schema: S): S {
  return storeSafeDocument(schema).superRefine((value, ctx) => {
    for (const found of fieldNameProblems(value))
      ctx.addIssue({ code: 'custom', path: found.path, message: found.reason });
  }) as unknown as S;
}
