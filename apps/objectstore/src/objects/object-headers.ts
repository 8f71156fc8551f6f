import type { IncomingHttpHeaders } from 'node:http';

/** S3 keeps at most 2 KB of user metadata per object (names and values). */
export const MAX_USER_METADATA_BYTES = 2048;
export const USER_METADATA_PREFIX = 'x-amz-meta-';

/** Standard headers kept with an object and given back on GET and HEAD. */
const STORED_HEADERS = [
  'content-type',
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
] as const;

/** What S3 answers that a client of this API may see. */
const RETURNED_HEADERS = [
  ...STORED_HEADERS,
  'content-length',
  'content-range',
  'accept-ranges',
  'etag',
  'last-modified',
] as const;

const METADATA_NAME = /^[a-z0-9][a-z0-9_-]{0,127}$/;
const MEDIA_TYPE =
  /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\s*;.{0,200})?$/i;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export interface HeaderProblem {
  header: string;
  detail: string;
}

/**
 * The headers an upload stores with the object: content type (default
 * application/octet-stream), the standard ones above, and x-amz-meta-* user metadata.
 */
export function storedHeaders(request: IncomingHttpHeaders): {
  headers: Record<string, string>;
  problems: HeaderProblem[];
} {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  const problems: HeaderProblem[] = [];
  let metadataBytes = 0;
  for (const [name, raw] of Object.entries(request)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    if ((STORED_HEADERS as readonly string[]).includes(name)) {
      if (!PRINTABLE_ASCII.test(value) || value.length > 1024) {
        problems.push({ header: name, detail: 'must be printable ASCII, at most 1024 characters' });
      } else if (name === 'content-type' && !MEDIA_TYPE.test(value)) {
        problems.push({ header: name, detail: `"${value}" is not a media type such as text/csv` });
      } else {
        headers[name] = value;
      }
    } else if (name.startsWith(USER_METADATA_PREFIX)) {
      const key = name.slice(USER_METADATA_PREFIX.length);
      metadataBytes += key.length + value.length;
      if (!METADATA_NAME.test(key)) {
        problems.push({ header: name, detail: 'metadata names hold only a-z, 0-9, _ and -' });
      } else if (!PRINTABLE_ASCII.test(value)) {
        problems.push({ header: name, detail: 'metadata values must be printable ASCII' });
      } else {
        headers[name] = value;
      }
    }
  }
  if (metadataBytes > MAX_USER_METADATA_BYTES) {
    problems.push({
      header: `${USER_METADATA_PREFIX}*`,
      detail: `user metadata holds ${metadataBytes} bytes; at most ${MAX_USER_METADATA_BYTES}`,
    });
  }
  return { headers, problems };
}

/** The headers of an S3 answer that go back to the client. */
export function returnedHeaders(s3: IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(s3)) {
    if (typeof value !== 'string') continue;
    if (
      (RETURNED_HEADERS as readonly string[]).includes(name) ||
      name.startsWith(USER_METADATA_PREFIX)
    )
      headers[name] = value;
  }
  return headers;
}
