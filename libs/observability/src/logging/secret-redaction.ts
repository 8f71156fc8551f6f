/** What a masked secret is replaced with in logs. */
export const MASK = '[masked]';

/**
 * Query parameters that carry a credential: InfluxDB v1's `p` (password), `access_token` and
 * `token` (OAuth-style bearer tokens in a URL), and a few spelled-out names clients use.
 */
const SECRET_PARAMS = new Set(['p', 'access_token', 'token', 'password', 'client_secret']);

/**
 * `u` is InfluxDB v1's user name; beside `p` it is the client id of a Keycloak client, half of
 * a credential pair, so it is masked too when `p` travels with it (on its own it is a name).
 */
const PAIRED_USER_PARAM = 'u';

/** Headers that carry credentials; their values never reach a log. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-amz-security-token',
]);

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/**
 * The URL (path and query, as a request line carries it) with the values of credential
 * parameters masked; everything else is kept byte for byte so the log still says what was asked.
 */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const hashStart = url.indexOf('#', queryStart);
  const query = url.slice(queryStart + 1, hashStart < 0 ? undefined : hashStart);
  const pairs = query.split('&').map((pair) => {
    const equals = pair.indexOf('=');
    return { raw: pair, name: decodeName(equals < 0 ? pair : pair.slice(0, equals)), equals };
  });
  const hasPassword = pairs.some((pair) => pair.name === 'p');
  const masked = pairs.map(({ raw, name, equals }) => {
    const secret = SECRET_PARAMS.has(name) || (hasPassword && name === PAIRED_USER_PARAM);
    if (!secret || equals < 0) return raw;
    return `${raw.slice(0, equals)}=${MASK}`;
  });
  return `${url.slice(0, queryStart)}?${masked.join('&')}`;
}

/** A copy of the headers with every credential-bearing value masked. */
export function redactHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers))
    copy[name] = SECRET_HEADERS.has(name.toLowerCase()) ? MASK : value;
  return copy;
}
