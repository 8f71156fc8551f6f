import { Injectable, Logger } from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import { Counter } from 'prom-client';
import { DeadLetterHeader, boundedDeadLetterCopy } from '@iotwins/messaging';
import { MetricsRegistry } from '@iotwins/observability';

/** What a log line keeps of a dropped message's body. */
const LOGGED_BODY_BYTES = 1024;

/**
 * Node messages the registry dropped, counted per tenant and reason
 * (`model_registry_node_messages_dropped_total`), each logged once with a bounded copy: the
 * first KiB of the body, its original size, the reason, the subject and stream sequence. The
 * registry's NATS login publishes no dead letters; the log and the metric are where an
 * operator finds them, and the NODES stream keeps the original for its retention.
 */
@Injectable()
export class NodeMessageDrops {
  private readonly logger = new Logger(NodeMessageDrops.name);
  private readonly dropped: Counter<'tenant' | 'kind'>;

  constructor(metrics: MetricsRegistry) {
    this.dropped = new Counter({
      name: 'model_registry_node_messages_dropped_total',
      help: 'Node heartbeats and status reports dropped as unusable, per tenant and reason kind',
      labelNames: ['tenant', 'kind'],
      registers: [metrics.registry],
    });
  }

  record(message: JsMsg, kind: string, reason: string): void {
    const tenant = /^nodes\.([A-Za-z0-9_-]{1,128})\./.exec(message.subject)?.[1] ?? 'unknown';
    this.dropped.inc({ tenant, kind });
    const copy = boundedDeadLetterCopy(
      {
        subject: message.subject,
        data: message.data,
        stream: message.info.stream,
        seq: message.seq,
      },
      reason,
      { maxPayload: 1024 * 1024, maxCopyBytes: LOGGED_BODY_BYTES },
    );
    this.logger.warn(
      {
        tenant,
        kind,
        reason: copy.headers.get(DeadLetterHeader.Reason),
        subject: message.subject,
        seq: message.seq,
        originalSize: message.data.length,
        truncated: copy.truncated,
        // Base64, so a NUL or invalid UTF-8 in it cannot garble the log line.
        body: Buffer.from(copy.data).toString('base64'),
      },
      'node message dropped',
    );
  }
}
