/**
 * A NATS subject token must not contain separators, wildcards or whitespace; a tenant or
 * measurement name that did could publish into, or subscribe to, another tenant's subjects.
 */
const SUBJECT_TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

export function isSubjectToken(value: string): boolean {
  return SUBJECT_TOKEN.test(value);
}

export function assertSubjectToken(kind: string, value: string): string {
  if (!isSubjectToken(value)) {
    throw new Error(
      `${kind} "${value}" is not a valid subject token (letters, digits, _ and -, at most 128)`,
    );
  }
  return value;
}

const PLAIN = /[A-Za-z0-9_-]/;

/**
 * Makes any name (a measurement with spaces, dots or umlauts) a single subject token,
 * reversibly: every byte outside [A-Za-z0-9_-] becomes %XX of its UTF-8 encoding.
 */
export function encodeSubjectToken(name: string): string {
  let out = '';
  for (const char of name) {
    if (PLAIN.test(char)) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8'))
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeSubjectToken(token: string): string {
  return decodeURIComponent(token);
}
