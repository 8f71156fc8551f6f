import { nameUnsafeTextReason, storeUnsafeTextReason } from '@iotwins/http';

/** S3 keys are at most 1024 bytes of UTF-8. */
export const MAX_OBJECT_KEY_BYTES = 1024;

/**
 * Why an object key is refused, or undefined. Keys are opaque to S3, but they travel through
 * paths, file systems and tools that resolve "..", so keys that look like a path escape are
 * refused outright, also when a compatibility form (NFKC: fullwidth dots and slashes) would
 * make them one.
 *
 * A key being written (upload, copy target, presigned PUT) must also hold no bidirectional
 * formatting characters (U+202E makes "x\u202Egpj.exe" print as "xexe.jpg"); keys read,
 * deleted or re-labelled follow the older rule, so an object stored before stays reachable.
 */
export function objectKeyProblem(key: string, use: 'read' | 'write' = 'read'): string | undefined {
  if (key.length === 0) return 'must not be empty';
  const unsafe = use === 'write' ? nameUnsafeTextReason(key) : storeUnsafeTextReason(key);
  if (unsafe) return unsafe;
  if (Buffer.byteLength(key, 'utf8') > MAX_OBJECT_KEY_BYTES)
    return `must be at most ${MAX_OBJECT_KEY_BYTES} bytes of UTF-8`;
  if (hasControlCharacters(key)) return 'must not hold control characters';
  if (key.includes('\\')) return 'must not hold backslashes';
  for (const form of new Set([key, key.normalize('NFKC')])) {
    const problem = pathProblem(form);
    if (problem) return form === key ? problem : `${problem} once Unicode-normalised (NFKC)`;
  }
  return undefined;
}

function pathProblem(key: string): string | undefined {
  if (key.startsWith('/')) return 'must not begin with "/"';
  if (key.includes('//')) return 'must not hold empty path segments ("//")';
  if (key.includes('\\')) return 'must not hold backslashes';
  const segments = key.split('/');
  if (segments.some((segment) => segment === '.' || segment === '..'))
    return 'must not hold "." or ".." path segments';
  return undefined;
}

/** False when the string holds a lone surrogate, which has no UTF-8 form. */
export function isWellFormedUnicode(value: string): boolean {
  return !/[\uD800-\uDFFF]/u.test(value);
}

export function hasControlCharacters(value: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  return /[\u0000-\u001f\u007f]/.test(value);
}
