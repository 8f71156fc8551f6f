import { Inject, Injectable } from '@nestjs/common';
import {
  OutboundPolicy,
  outboundFetch,
  postSignedWebhook,
  type OutboundFetch,
} from '@iotwins/http';

export interface WebhookOptions {
  timeoutMs: number;
}
export const WEBHOOK_OPTIONS = Symbol('WEBHOOK_OPTIONS');

/** Sends one signed webhook call; anything but a 2xx is an error (retried by the caller). */
@Injectable()
export class WebhookSender {
  private readonly fetch: OutboundFetch;

  constructor(
    @Inject(WEBHOOK_OPTIONS) private readonly options: WebhookOptions,
    outbound: OutboundPolicy,
  ) {
    this.fetch = outboundFetch(outbound);
  }

  async send(url: string, deliveryId: string, secret: string, payload: unknown): Promise<number> {
    const result = await postSignedWebhook(this.fetch, url, {
      secret,
      deliveryId,
      body: JSON.stringify(payload),
      timeoutMs: this.options.timeoutMs,
    });
    if (!result.ok)
      throw new Error(
        result.status !== undefined
          ? `webhook answered ${result.status}`
          : `webhook failed: ${result.error}`,
      );
    return result.status!;
  }
}
