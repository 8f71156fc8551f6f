import { createHmac, timingSafeEqual } from 'node:crypto';
import type { OutboundFetch } from './outbound/outbound-fetch';

/** Headers of every webhook the platform sends (registry, retrainer, connectors). */
export const WebhookHeader = {
  /** Stable across retries of one delivery: the receiver's de-duplication key. */
  Delivery: 'x-iotwins-delivery',
  /** Unix seconds when this attempt was signed; inside the signature, so replays can be refused. */
  Timestamp: 'x-iotwins-timestamp',
  /** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" under the webhook's secret>`. */
  Signature: 'x-iotwins-signature',
  /** What the body is (an event type), for receivers that route without parsing. */
  Event: 'x-iotwins-event',
} as const;

export function signWebhook(secret: string, timestamp: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/**
 * How a receiver verifies a delivery: constant-time comparison, and a timestamp no older
 * (or newer) than `toleranceSeconds`, so a captured request cannot be replayed later.
 */
export function verifyWebhook(
  secret: string,
  request: { timestamp: string; body: string | Uint8Array; signature: string },
  toleranceSeconds = 300,
): boolean {
  const sent = Number(request.timestamp);
  if (!Number.isInteger(sent) || Math.abs(Date.now() / 1000 - sent) > toleranceSeconds)
    return false;
  const expected = Buffer.from(signWebhook(secret, request.timestamp, request.body));
  const given = Buffer.from(request.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface WebhookResult {
  /** A 2xx came back. */
  ok: boolean;
  status?: number;
  /** Why nothing came back (timeout, refused connection), when no status did. */
  error?: string;
}

/**
 * POSTs one signed delivery through `via` (an outboundFetch, so a tenant's URL cannot reach
 * internal addresses). Redirects are not followed and the answer's body is discarded.
 */
export async function postSignedWebhook(
  via: OutboundFetch,
  url: string,
  delivery: {
    secret: string;
    deliveryId: string;
    body: string | Uint8Array;
    timeoutMs: number;
    contentType?: string;
    headers?: Record<string, string>;
  },
): Promise<WebhookResult> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  try {
    const response = await via(url, {
      method: 'POST',
      headers: {
        'content-type': delivery.contentType ?? 'application/json',
        'user-agent': 'iotwins-webhooks',
        ...delivery.headers,
        [WebhookHeader.Delivery]: delivery.deliveryId,
        [WebhookHeader.Timestamp]: timestamp,
        [WebhookHeader.Signature]: signWebhook(delivery.secret, timestamp, delivery.body),
      },
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(delivery.timeoutMs),
    });
    await response.body?.cancel().catch(() => undefined);
    return { ok: response.status >= 200 && response.status < 300, status: response.status };
  } catch (error) {
    return { ok: false, error: describeFetchError(error) };
  }
}

/** Why a fetch got no answer, in words safe to show a tenant (no secrets in URLs or bodies). */
export function describeFetchError(error: unknown): string {
  const err = error as Error & { code?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return 'timed out';
  if (err.code === 'EOUTBOUNDBLOCKED') return err.message;
  if (err.cause?.code === 'EOUTBOUNDBLOCKED') return err.cause.message ?? err.message;
  return err.cause?.code ?? err.cause?.message ?? err.message;
}
