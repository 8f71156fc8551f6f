import { z } from 'zod';

/**
 * The paging fields of every list route: `limit` (1 to the configured maximum, 50 by
 * default), the `cursor` a previous page handed out, and `tenant` (platform admins acting for
 * another tenant, read by @ActingTenant). Routes with filters extend it.
 */
export const pageQuerySchema = (maxLimit: number) => {
  const message = `limit must be an integer from 1 to ${maxLimit}`;
  return z
    .object({
      limit: z.coerce
        .number({ message })
        .int({ message })
        .min(1, { message })
        .max(maxLimit, { message })
        .default(Math.min(50, maxLimit)),
      cursor: z.string().optional(),
      tenant: z.string().optional(),
    })
    .strict();
};
