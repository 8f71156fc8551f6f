/** A URL as statuses and logs show it: without its query string, which may carry a key. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  return parsed.search
    ? `${parsed.origin}${parsed.pathname}?…`
    : `${parsed.origin}${parsed.pathname}`;
}
