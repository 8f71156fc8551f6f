import { z } from 'zod';
import { secretField } from '../../connector.secret-field';

const authSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('bearer'), token: secretField }).strict(),
  z
    .object({
      type: z.literal('basic'),
      username: z.string().min(1).max(256),
      password: secretField,
    })
    .strict(),
  z
    .object({
      type: z.literal('api-key'),
      header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, { message: 'expected an HTTP header name' }),
      key: secretField,
    })
    .strict(),
]);

const paginationSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z
    .object({
      type: z.literal('next-link'),
      /** JSONata expression giving the next page's URL (absolute or relative), or nothing. */
      next: z.string().min(1).max(1024),
    })
    .strict(),
  z
    .object({
      type: z.literal('page-param'),
      param: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'expected a query parameter name' }),
      start: z.number().int().min(0).default(1),
    })
    .strict(),
]);

// z.url's own protocol check: a refine calling new URL() would also run on a value the URL
// check already refused, and throw (a 500) instead of adding an issue.
export const httpUrl = z.url({
  protocol: /^https?$/,
  message: 'expected an http or https URL',
});

export const httpPollerConfigSchema = z
  .object({
    url: httpUrl,
    intervalSeconds: z.number().int().min(1).max(86_400).default(60),
    timeoutSeconds: z.number().int().min(1).max(300).default(10),
    auth: authSchema.default({ type: 'none' }),
    pagination: paginationSchema.default({ type: 'none' }),
    /** JSONata expression turning one page into points ({ measurement, tags, fields, time }). */
    mapping: z.string().min(1).max(16_384),
    /** Unit of integer times the mapping yields. */
    precision: z.enum(['ns', 'us', 'ms', 's', 'm', 'h']).default('ms'),
  })
  .strict();
export type HttpPollerConfig = z.infer<typeof httpPollerConfigSchema>;

/** Where the poller goes on: the next page's URL or number, and the last page's ETag. */
export const httpPollerCursorSchema = z.object({
  url: z.string().optional(),
  page: z.number().optional(),
  etag: z.string().optional(),
  /** The mapping has given records from this API before (so an empty page is no error). */
  mapped: z.boolean().optional(),
});
export type HttpPollerCursor = z.infer<typeof httpPollerCursorSchema>;
