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
