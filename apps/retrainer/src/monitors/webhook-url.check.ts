import {
  assertOutboundUrlAllowed,
  invalidInput,
  OutboundAddressError,
  type OutboundPolicy,
} from '@iotwins/http';

/**
 * Refuses, when a monitor is created or replaced, a webhook URL the platform would never
 * call (an internal address such as 169.254.169.254, by IP literal or by what the name
 * resolves to now), as a 400 naming the field, instead of failing only when it fires. A name
 * that does not resolve now is accepted (it may later): the call-time check of
 * `outboundFetch` stays the guard in every case, DNS rebinding included.
 */
export async function assertWebhookUrlAllowed(policy: OutboundPolicy, url: string): Promise<void> {
  try {
    await assertOutboundUrlAllowed(policy, url, { unresolvable: 'accept' });
  } catch (error) {
    if (!(error instanceof OutboundAddressError)) throw error;
    throw invalidInput('monitor', [{ pointer: '/actions/webhook/url', detail: error.message }]);
  }
}
