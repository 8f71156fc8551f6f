import { Inject, Injectable } from '@nestjs/common';
import { postSignedWebhook } from '@iotwins/http';

export interface WebhookOptions {
  timeoutMs: number;
}
export const WEBHOOK_OPTIONS = Symbol('WEBHOOK_OPTIONS');

/** Sends one signed webhook call; anything but a 2xx is an error (retried by the caller). */
@Injectable()
export class WebhookSender {
  constructor(@Inject(WEBHOOK_OPTIONS) private readonly options: WebhookOptions) {}

  async send(url: string, deliveryId: string, secret: string, payload: unknown): Promise<number> {
    const result = await postSignedWebhook(url, {
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
