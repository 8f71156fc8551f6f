import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';

export interface WebhookOptions {
  timeoutMs: number;
}
export const WEBHOOK_OPTIONS = Symbol('WEBHOOK_OPTIONS');

export const WebhookHeader = {
  Delivery: 'x-iotwins-delivery',
  Timestamp: 'x-iotwins-timestamp',
  Signature: 'x-iotwins-signature',
} as const;

/**
 * The signature a receiver recomputes: HMAC-SHA256 over `<timestamp>.<body>` with the
 * monitor's secret, hex, prefixed `sha256=`. The timestamp inside lets receivers refuse replays.
 */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Sends one signed webhook call; anything but a 2xx is an error (retried by the caller). */
@Injectable()
export class WebhookSender {
  constructor(@Inject(WEBHOOK_OPTIONS) private readonly options: WebhookOptions) {}

  async send(url: string, deliveryId: string, secret: string, payload: unknown): Promise<number> {
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [WebhookHeader.Delivery]: deliveryId,
        [WebhookHeader.Timestamp]: timestamp,
        [WebhookHeader.Signature]: webhookSignature(secret, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299)
      throw new Error(`webhook answered ${response.status}`);
    return response.status;
  }
}
