/** Cursors are opaque to clients: where the next page starts, base64url-encoded JSON. */
export function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ a: after }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const after = (parsed as { a?: unknown } | null)?.a;
    return typeof after === 'string' ? after : undefined;
  } catch {
    return undefined;
  }
}
