import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import type { ModelRegistryConfig } from '../app.config';
import { SIGNATURE_HEADER, signWebhookBody } from './webhook.signature';

/** POSTs one event to one webhook URL, signed; says what came back. */
@Injectable()
export class WebhookSender {
  constructor(@Inject(APP_CONFIG) private readonly config: ModelRegistryConfig) {}

  async send(
    url: string,
    secret: string,
    event: { id: string; type: string },
    body: string,
  ): Promise<{ ok: boolean; status?: number; error?: string }> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'iotwins-model-registry-webhooks',
          [SIGNATURE_HEADER]: signWebhookBody(secret, body),
          'x-iotwins-event': event.type,
          'x-iotwins-delivery': event.id,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.MODEL_REGISTRY_WEBHOOK_TIMEOUT_MS),
      });
      await response.arrayBuffer().catch(() => undefined);
      return { ok: response.status >= 200 && response.status < 300, status: response.status };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }
}
