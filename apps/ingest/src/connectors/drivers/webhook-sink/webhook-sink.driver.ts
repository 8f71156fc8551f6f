import { postSignedWebhook } from '@iotwins/http';
import type { ConnectorDriver } from '../../connector.driver';
import { removeSinkConsumer, runSink, type SinkMessage } from '../../connector.sink';
import { redactUrl } from '../../redact-url';
import { webhookSinkConfigSchema, type WebhookSinkConfig } from './webhook-sink.config';

const decoder = new TextDecoder();

/**
 * Delivers the tenant's telemetry or events to an HTTP endpoint, one signed POST per batch
 * (docs/connectors.md, "Webhook sink"). The batch's first and last stream sequence make the
 * delivery id, identical on every retry, so a receiver can drop a batch it already took.
 */
export const webhookSinkDriver: ConnectorDriver<WebhookSinkConfig> = {
  type: 'webhook-sink',
  kind: 'sink',
  configSchema: webhookSinkConfigSchema,

  run(ctx) {
    const { config } = ctx;
    const secret = ctx.secret(config.secret);
    return runSink(ctx, async (messages) => {
      const body =
        config.format === 'line-protocol' ? lines(messages) : JSON.stringify(asJson(messages));
      const result = await postSignedWebhook(ctx.fetch, config.url, {
        secret,
        deliveryId: `${ctx.id}:${messages[0]!.seq}-${messages.at(-1)!.seq}`,
        body,
        contentType: config.format === 'line-protocol' ? 'text/plain; charset=utf-8' : undefined,
        timeoutMs: config.timeoutSeconds * 1000,
      });
      if (!result.ok) {
        throw new Error(
          `POST ${redactUrl(config.url)} ${result.status !== undefined ? `answered ${result.status}` : `failed: ${result.error}`}`,
        );
      }
      ctx.count({ pointsWritten: delivered(messages) });
    });
  },

  cleanup: ({ id, config, nats }) => removeSinkConsumer(nats, id, config.source),
};

/** Points (lines) of telemetry, or events, delivered. */
function delivered(messages: SinkMessage[]): number {
  let count = 0;
  for (const message of messages) {
    if (!message.subject.startsWith('telemetry.')) count += 1;
    else for (const byte of message.data) if (byte === 0x0a) count += 1;
    if (message.subject.startsWith('telemetry.') && message.data.at(-1) !== 0x0a) count += 1;
  }
  return count;
}

function lines(messages: SinkMessage[]): string {
  return messages.map((message) => decoder.decode(message.data).replace(/\n?$/, '\n')).join('');
}

function asJson(messages: SinkMessage[]): { messages: unknown[] } {
  return {
    messages: messages.map((message) => {
      const text = decoder.decode(message.data);
      let data: unknown = text;
      if (message.subject.startsWith('events.')) {
        try {
          data = JSON.parse(text);
        } catch {
          data = text;
        }
      }
      return { subject: message.subject, seq: message.seq, data };
    }),
  };
}
