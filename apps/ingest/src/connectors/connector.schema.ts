import { z } from 'zod';

/**
 * A secret as a tenant sends it: the value, sealed at once and never returned. Read back as
 * `{ "set": true }`.
 */
const secretInputSchema = z.object({ value: z.string().min(1).max(4096) }).strict();

const authSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('bearer'), token: secretInputSchema }).strict(),
  z
    .object({
      type: z.literal('basic'),
      username: z.string().min(1).max(256),
      password: secretInputSchema,
    })
    .strict(),
  z
    .object({
      type: z.literal('api-key'),
      header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, { message: 'expected an HTTP header name' }),
      key: secretInputSchema,
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

const httpUrl = z
  .string()
  .url({ message: 'expected an absolute URL' })
  .refine((value) => /^https?:$/.test(new URL(value).protocol), {
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

export const connectorNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/, {
  message: 'expected 1 to 100 letters, digits, spaces, ".", "_" or "-"',
});

export const createConnectorSchema = z
  .object({
    name: connectorNameSchema,
    type: z.literal('http-poller', { message: 'expected "http-poller" (the only type so far)' }),
    config: httpPollerConfigSchema,
    paused: z.boolean().default(false),
  })
  .strict();

export const updateConnectorSchema = z
  .object({ name: connectorNameSchema.optional(), config: httpPollerConfigSchema.optional() })
  .strict();

export const dryRunSchema = z
  .object({
    mapping: z.string().min(1).max(16_384),
    precision: z.enum(['ns', 'us', 'ms', 's', 'm', 'h']).default('ms'),
    sample: z.unknown(),
  })
  .strict();

export type HttpPollerConfigInput = z.infer<typeof httpPollerConfigSchema>;
export type CreateConnectorInput = z.infer<typeof createConnectorSchema>;
export type UpdateConnectorInput = z.infer<typeof updateConnectorSchema>;
export type AuthInput = z.infer<typeof authSchema>;

/** A sealed secret as stored: AES-256-GCM, bound to its tenant and connector. */
export const sealedSchema = z.object({ sealed: z.string() }).strict();
export type Sealed = z.infer<typeof sealedSchema>;

/** The stored form of auth: every secret sealed. */
export const storedAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('bearer'), token: sealedSchema }),
  z.object({ type: z.literal('basic'), username: z.string(), password: sealedSchema }),
  z.object({ type: z.literal('api-key'), header: z.string(), key: sealedSchema }),
]);
export type StoredAuth = z.infer<typeof storedAuthSchema>;

export const storedConnectorSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  name: z.string(),
  type: z.literal('http-poller'),
  paused: z.boolean(),
  config: httpPollerConfigSchema.omit({ auth: true }).extend({ auth: storedAuthSchema }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type StoredConnector = z.infer<typeof storedConnectorSchema>;

export const connectorStatusSchema = z.object({
  state: z.enum(['running', 'paused', 'failing', 'idle']),
  runner: z.string().optional(),
  lastError: z.string().optional(),
  lastErrorAt: z.string().optional(),
  lastSuccessAt: z.string().optional(),
  recordsRead: z.number(),
  pointsWritten: z.number(),
  recordsRefused: z.number(),
});
export type ConnectorStatus = z.infer<typeof connectorStatusSchema>;

export const emptyStatus = (): ConnectorStatus => ({
  state: 'idle',
  recordsRead: 0,
  pointsWritten: 0,
  recordsRefused: 0,
});

export const cursorSchema = z.object({
  url: z.string().optional(),
  page: z.number().optional(),
  etag: z.string().optional(),
});
export type ConnectorCursor = z.infer<typeof cursorSchema>;

/** zod issues as problem items: a JSON pointer and a detail each. */
export function problemItems(error: z.ZodError): { pointer: string; detail: string }[] {
  return error.issues.map((issue) => ({
    pointer: '/' + issue.path.map(String).join('/'),
    detail: issue.message,
  }));
}
