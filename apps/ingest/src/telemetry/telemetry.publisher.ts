import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import {
  NatsClient,
  TELEMETRY_STREAM,
  TelemetryHeader,
  encodeSubjectToken,
  requireStreams,
  telemetrySubject,
} from '@iotwins/messaging';
import type { LineBatch } from '@iotwins/telemetry';
import type { IngestConfig } from '../app.config';
import { IngestMetrics } from './ingest.metrics';

export interface PublishOptions {
  /** The caller's Idempotency-Key (or batch id); the same key stores a batch once. */
  idempotencyKey?: string;
  /** Which ingest path the points came by, kept in a header for tracing. */
  source: string;
}

interface TelemetryMessage {
  subject: string;
  body: Uint8Array;
  points: number;
  id: string;
}

/**
 * Publishes normalised points to the TELEMETRY stream, one message per tenant, measurement
 * and ~512 KiB of line protocol, and returns only when JetStream has stored every message.
 */
@Injectable()
export class TelemetryPublisher implements OnModuleInit {
  private readonly logger = new Logger(TelemetryPublisher.name);
  private js!: JetStreamClient;

  constructor(
    private readonly nats: NatsClient,
    private readonly metrics: IngestMetrics,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const jsm = await jetstreamManager(this.nats.nc);
    // The operator's provisioning step made the stream; this login may not.
    await requireStreams(jsm, TELEMETRY_STREAM);
    this.js = jetstream(this.nats.nc, { timeout: this.config.INGEST_PUBLISH_TIMEOUT_MS });
  }

  async publish(tenant: string, batch: LineBatch, options: PublishOptions): Promise<number> {
    const messages = buildMessages(tenant, batch, options.idempotencyKey);
    const timer = this.metrics.publishSeconds.startTimer();
    const results = await Promise.allSettled(
      messages.map((message) => {
        const headers = natsHeaders();
        headers.set(TelemetryHeader.Tenant, tenant);
        headers.set(TelemetryHeader.Points, String(message.points));
        headers.set(TelemetryHeader.Source, options.source);
        return this.js.publish(message.subject, message.body, {
          msgID: message.id,
          headers,
          timeout: this.config.INGEST_PUBLISH_TIMEOUT_MS,
        });
      }),
    );
    const failed = results.filter(
      (result): result is PromiseRejectedResult => result.status === 'rejected',
    );
    timer({ outcome: failed.length > 0 ? 'failed' : 'stored' });
    if (failed.length > 0) {
      const reason = (failed[0]!.reason as Error).message;
      this.metrics.publishFailures.inc({ reason: describe(reason) });
      this.logger.warn(
        { tenant, failed: failed.length, of: messages.length, reason },
        'JetStream did not store a batch',
      );
      throw ProblemException.of(
        503,
        'telemetry-not-stored',
        `The platform could not store ${failed.length} of ${messages.length} parts of this batch (${describe(reason)}); ` +
          'retry with the same Idempotency-Key so parts already stored are not stored twice',
        {},
        { 'Retry-After': '2' },
      );
    }
    return batch.size;
  }
}

function describe(reason: string): string {
  if (/maximum (bytes|messages)|insufficient resources/i.test(reason))
    return 'the telemetry buffer is full';
  if (/timeout/i.test(reason)) return 'JetStream did not acknowledge in time';
  if (/no responders/i.test(reason)) return 'JetStream is not available';
  return 'JetStream refused it';
}

/**
 * One message per measurement and ~512 KiB of line protocol (the batch groups and cuts them).
 * Message ids derive from the idempotency key, or from the content when there is none, so a
 * retried batch maps to the same ids and JetStream stores it once.
 */
export function buildMessages(
  tenant: string,
  batch: LineBatch,
  idempotencyKey?: string,
): TelemetryMessage[] {
  const parts = new Map<string, number>();
  return batch.messages().map(({ measurement, body, points }) => {
    const part = parts.get(measurement) ?? 0;
    parts.set(measurement, part + 1);
    const id =
      idempotencyKey !== undefined
        ? `${tenant}/${idempotencyKey}/${encodeSubjectToken(measurement)}/${part}`
        : `${tenant}/sha256:${createHash('sha256').update(body).digest('base64url')}`;
    return { subject: telemetrySubject(tenant, measurement), body, points, id };
  });
}
