import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import {
  OutboundPolicy,
  WebhookHeader,
  outboundFetch,
  postSignedWebhook,
  type OutboundFetch,
  type WebhookResult,
} from '@iotwins/http';
import type { ModelRegistryConfig } from '../app.config';

/** POSTs one event to one webhook URL, signed as every platform webhook is; says what came back. */
@Injectable()
export class WebhookSender {
  private readonly fetch: OutboundFetch;

  constructor(
    @Inject(APP_CONFIG) private readonly config: ModelRegistryConfig,
    outbound: OutboundPolicy,
  ) {
    this.fetch = outboundFetch(outbound);
  }

  send(
    url: string,
    secret: string,
    event: { id: string; type: string },
    body: string,
  ): Promise<WebhookResult> {
    return postSignedWebhook(this.fetch, url, {
      secret,
      deliveryId: event.id,
      body,
      timeoutMs: this.config.MODEL_REGISTRY_WEBHOOK_TIMEOUT_MS,
      headers: { [WebhookHeader.Event]: event.type },
    });
  }
}
