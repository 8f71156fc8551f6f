import { z } from 'zod';

/** A logical bucket of the tenant, as the objectstore names it (S3 rules, 3 to 51 characters). */
export const tenantBucketSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,49}[a-z0-9]$/, {
    message: 'expected one of your buckets: 3 to 51 lowercase letters, digits, dots or hyphens',
  })
  .refine((name) => !name.includes('..'), { message: 'must not hold two adjacent dots' });

/** A key prefix inside the bucket ("" for the whole bucket), e.g. "incoming/" . */
export const keyPrefixSchema = z
  .string()
  .max(512)
  .refine((prefix) => !prefix.startsWith('/') && !/(^|\/)\.\.?(\/|$)/.test(prefix), {
    message: 'expected a key prefix without a leading "/" or "." / ".." segments',
  })
  .refine(
    (prefix) => !/[*?\\]/.test(prefix) && ![...prefix].some((char) => char.charCodeAt(0) < 0x20),
    { message: 'expected a key prefix without "*", "?", backslashes or control characters' },
  )
  .default('');

/** The measurement name a file connector reads or writes. */
export const measurementSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\s,="\\]+$/, {
    message: 'expected a measurement name without spaces, commas, quotes, "=" or backslashes',
  });
