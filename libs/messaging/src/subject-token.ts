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
