import { isIP } from 'node:net';
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';
import type { OutboundPolicy } from './outbound-policy';

const MAX_REDIRECTS = 5;

/**
 * `fetch` for URLs a tenant chose (connector sources, webhooks): every hop, redirects
 * included, may reach only the addresses the policy allows, checked when the connection is
 * made. Only http and https.
 */
export type OutboundFetch = (
  url: string,
  init?: RequestInit & { redirect?: 'follow' | 'manual' },
) => Promise<Response>;

export function outboundFetch(policy: OutboundPolicy): OutboundFetch {
  const dispatcher = new Agent({ connect: { lookup: policy.lookup } });
  return async (url, init = {}) => {
    let target = new URL(url);
    for (let hop = 0; ; hop++) {
      if (target.protocol !== 'http:' && target.protocol !== 'https:')
        throw new TypeError(`${target.protocol} URLs are not called`);
      // An address in the URL is never looked up: check it here.
      const host = target.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host)) policy.check(host, host);
      const response = await undiciFetch(target, { ...init, redirect: 'manual', dispatcher });
      const location = response.headers.get('location');
      if (init.redirect !== 'follow' || response.status < 300 || response.status > 399 || !location)
        return response;
      if (hop >= MAX_REDIRECTS) throw new TypeError(`more than ${MAX_REDIRECTS} redirects`);
      await response.body?.cancel().catch(() => undefined);
      target = new URL(location, target);
    }
  };
}
