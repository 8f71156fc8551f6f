import { z } from 'zod';

/**
 * What the platform's stores refuse in text: PostgreSQL rejects U+0000 in text and jsonb
 * ("unsupported Unicode escape sequence"), FerretDB rejects it in keys and names, and a lone
 * surrogate cannot be encoded as UTF-8 at all. Checked once at the edge, so a message or body
 * that passed validation never fails later inside a transaction that also holds other
 * tenants' work.
 */
export function storeUnsafeTextReason(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (!value.isWellFormed()) return 'must be well-formed Unicode (no lone surrogate)';
  return undefined;
}

/** `storeUnsafeTextReason` for names that also appear in paths, logs and subjects. */
export function nameUnsafeTextReason(value: string): string | undefined {
  const store = storeUnsafeTextReason(value);
  if (store) return store;
  // C0/C1 controls and the bidirectional overrides make a name print as another one.
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return 'must not contain control characters';
  }
  if (/[\u202a-\u202e\u2066-\u2069\u200e\u200f]/u.test(value))
    return 'must not contain bidirectional formatting characters';
  return undefined;
}

/** A zod string the stores accept, at most `maxLength` characters. */
export function storeSafeText(maxLength: number): z.ZodString {
  return z
    .string()
    .max(maxLength)
    .superRefine((value, ctx) => {
      const reason = storeUnsafeTextReason(value);
      if (reason) ctx.addIssue({ code: 'custom', message: reason });
    });
}

/**
 * Every string anywhere inside a parsed JSON value that the stores would refuse, as
 * JSON-pointer paths with the reason (for bodies kept whole, e.g. a jsonb spec).
 */
export function storeUnsafeStrings(
  value: unknown,
  path: PropertyKey[] = [],
  found: Array<{ path: PropertyKey[]; reason: string }> = [],
  limit = 20,
): Array<{ path: PropertyKey[]; reason: string }> {
  if (found.length >= limit) return found;
  if (typeof value === 'string') {
    const reason = storeUnsafeTextReason(value);
    if (reason) found.push({ path, reason });
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => storeUnsafeStrings(item, [...path, index], found, limit));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const reason = storeUnsafeTextReason(key);
      if (reason) found.push({ path: [...path, key], reason: `key ${reason}` });
      storeUnsafeStrings(item, [...path, key], found, limit);
    }
  }
  return found;
}
