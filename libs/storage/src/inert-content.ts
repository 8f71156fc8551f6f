/**
 * Headers that make tenant bytes inert where the API serves them. The apps serve stored files
 * on the same origin as /docs and every API route: an object uploaded as text/html and served
 * as a page could run script as that origin (stored XSS). So every route that returns tenant
 * bytes sends these, whatever type the tenant stored:
 *
 * - `X-Content-Type-Options: nosniff`: the browser does not guess a type from the bytes;
 * - `Content-Disposition: attachment`: the browser saves the file instead of showing it;
 * - a sandboxing CSP: should a browser still render it, the page runs in an opaque origin
 *   with nothing allowed (no script, no requests, no forms).
 *
 * A bucket that explicitly serves inline web content (objectstore, off by default) gets the
 * stored disposition (or `inline`) and a sandbox that allows scripts, but still in an opaque
 * origin: its pages can never read the API origin's cookies or storage, nor call it as it.
 */
export const INERT_CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'";
/** For buckets that serve inline web content: scripts run, but in an opaque origin. */
export const INLINE_CONTENT_SECURITY_POLICY = 'sandbox allow-scripts allow-forms allow-popups';

export interface InertContentOptions {
  /** The file name a browser saves it under (the last segment of a key or path). */
  filename: string;
  /** True only for a bucket that explicitly serves inline web content. */
  inline?: boolean;
  /** The disposition stored with the object; kept only when inline content is allowed. */
  storedDisposition?: string;
}

/** The headers above, to set on the answer (they replace any stored with the object). */
export function inertContentHeaders(options: InertContentOptions): Record<string, string> {
  return {
    'x-content-type-options': 'nosniff',
    'content-security-policy': options.inline
      ? INLINE_CONTENT_SECURITY_POLICY
      : INERT_CONTENT_SECURITY_POLICY,
    'content-disposition': options.inline
      ? (options.storedDisposition ?? 'inline')
      : attachmentDisposition(options.filename),
  };
}

/**
 * Query parameters of a presigned GET that make S3 itself answer with an attachment
 * disposition (S3's response-* overrides, part of the signature, so a URL holder cannot drop
 * them). S3 has no override for CSP; MinIO sends nosniff on its own.
 */
export function inertPresignParams(filename: string): Record<string, string> {
  return { 'response-content-disposition': attachmentDisposition(filename) };
}

/**
 * `attachment` with an RFC 6266 filename: a printable-ASCII fallback (quotes, backslashes,
 * controls and non-ASCII replaced by "_") and the exact name as RFC 8187 `filename*`.
 */
export function attachmentDisposition(filename: string): string {
  const name = lastSegment(filename);
  if (name === '') return 'attachment';
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/gu, '_');
  const exact = encodeRfc8187(name);
  return fallback === name && !/[%']/u.test(name)
    ? `attachment; filename="${fallback}"`
    : `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}

/** The last path segment; a key ending in "/" has none. */
function lastSegment(path: string): string {
  return path.split('/').at(-1) ?? '';
}

/** RFC 8187 value-chars: attr-char kept, everything else percent-encoded UTF-8. */
function encodeRfc8187(value: string): string {
  // Lone surrogates have no UTF-8 form; they were refused at the edge, but never throw here.
  return Array.from(Buffer.from(value.replace(/[\uD800-\uDFFF]/gu, '\uFFFD'), 'utf8'))
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9!#$&+.^_`|~-]/.test(char) && byte < 0x80
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}
