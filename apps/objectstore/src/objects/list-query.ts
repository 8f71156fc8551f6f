import { ProblemException, type ProblemItem } from '@iotwins/http';
import { hasControlCharacters, isWellFormedUnicode } from './object-key';

export interface ListQuery {
  prefix: string;
  delimiter: '/' | undefined;
  limit: number;
  startAfter: string | undefined;
}

/** The cursor is opaque to clients: where the next page starts, base64url-encoded. */
export function encodeCursor(startAfter: string): string {
  return Buffer.from(JSON.stringify({ a: startAfter }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const startAfter = (parsed as { a?: unknown } | null)?.a;
    return typeof startAfter === 'string' ? startAfter : undefined;
  } catch {
    return undefined;
  }
}

/** Validates ?prefix, ?delimiter, ?limit and ?cursor of an object listing. */
export function parseListQuery(query: Record<string, unknown>, maxLimit: number): ListQuery {
  const errors: ProblemItem[] = [];
  const single = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      errors.push({ pointer: name, detail: `${name} may be given once` });
      return undefined;
    }
    return value;
  };
  const prefix = single('prefix') ?? '';
  if (
    Buffer.byteLength(prefix) > 1024 ||
    hasControlCharacters(prefix) ||
    !isWellFormedUnicode(prefix)
  )
    errors.push({
      pointer: 'prefix',
      detail: 'prefix must be at most 1024 bytes of printable text',
    });
  const delimiterValue = single('delimiter');
  if (delimiterValue !== undefined && delimiterValue !== '/')
    errors.push({ pointer: 'delimiter', detail: 'the only delimiter supported is "/"' });
  const limitValue = single('limit');
  const limit = limitValue === undefined ? maxLimit : Number(limitValue);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit)
    errors.push({ pointer: 'limit', detail: `limit must be an integer from 1 to ${maxLimit}` });
  const cursor = single('cursor');
  const startAfter = cursor === undefined ? undefined : decodeCursor(cursor);
  if (cursor !== undefined && startAfter === undefined)
    errors.push({ pointer: 'cursor', detail: 'cursor is not one this API handed out' });
  if (errors.length > 0) {
    throw ProblemException.of(400, 'invalid-query', 'The listing query is not valid', { errors });
  }
  return { prefix, delimiter: delimiterValue === '/' ? '/' : undefined, limit, startAfter };
}
