import { isIP } from 'node:net';
import { OutboundAddressError, type OutboundPolicy } from './outbound-policy';

export interface OutboundUrlOptions {
  /** URL schemes accepted, with the colon; http: and https: unless given. */
  readonly schemes?: readonly string[];
  /**
   * A name that does not resolve now: refused (the default, it cannot be checked) or accepted
   * where it may resolve later (a webhook declared before its receiver exists); the call-time
   * check guards it then either way.
   */
  readonly unresolvable?: 'refuse' | 'accept';
}

/**
 * Checks, when a tenant declares it (a webhook, a connector source or sink), that a URL may
 * be called for tenants: its scheme is one of `schemes`, and its host, an IP literal or every
 * address the name resolves to now, is allowed by the policy (internal addresses and
 * IPv6 forms that embed one are refused). Throws `OutboundAddressError` with a message fit for
 * a 400 problem. A name that does not resolve is refused too: it cannot be checked.
 *
 * This does not replace the check at call time (`outboundFetch`, `policy.lookup`): a name may
 * resolve differently later (DNS rebinding). It makes the mistake or the attack visible at
 * creation instead of at the first delivery.
 */
export async function assertOutboundUrlAllowed(
  policy: OutboundPolicy,
  url: string,
  options: OutboundUrlOptions = {},
): Promise<void> {
  const schemes = options.schemes ?? ['http:', 'https:'];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OutboundAddressError('the URL is not an absolute URL');
  }
  if (!schemes.includes(parsed.protocol))
    throw new OutboundAddressError(
      `${parsed.protocol} URLs are not called (accepted: ${schemes.join(', ')})`,
    );
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new OutboundAddressError('the URL has no host');
  if (isIP(host)) return policy.check(host, host);
  try {
    await policy.assertHost(host);
  } catch (error) {
    if (error instanceof OutboundAddressError) throw error;
    if (options.unresolvable === 'accept') return;
    const code = (error as NodeJS.ErrnoException).code ?? 'lookup failed';
    throw new OutboundAddressError(`${host} does not resolve (${code}), so it cannot be checked`);
  }
}
