import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { Msg, Subscription } from '@nats-io/nats-core';
import { Counter } from 'prom-client';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException, defaultProblem, type ProblemDetails } from '@iotwins/http';
import {
  INGEST_QUEUE_GROUP,
  INGEST_REQUEST_SUBJECTS,
  IngestRequestHeader,
  NatsClient,
  decodeSubjectToken,
  isSubjectToken,
  tenantInboxPrefix,
} from '@iotwins/messaging';
import { MetricsRegistry } from '@iotwins/observability';
import type { IngestConfig } from '../app.config';
import { IngestService } from '../telemetry/ingest.service';
import { refusedList } from '../telemetry/refused-list';
import { parseIngestRequest } from './ingest-request.payload';
import { boundedReply } from './ingest-request.reply';

type Outcome = 'stored' | 'stored-unanswered' | 'refused' | 'foreign-reply' | 'failed';

/**
 * Serves ingest.<tenant>.<measurement> requests from testbed clients (NATS identities the
 * auth callout issued, which may publish under their own tenant only). The tenant is the
 * subject's; the reply, sent only after JetStream stored the points, says what HTTP would.
 */
@Injectable()
export class IngestRequestResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IngestRequestResponder.name);
  private readonly requests: Counter<'outcome'>;
  private subscription: Subscription | undefined;

  constructor(
    private readonly nats: NatsClient,
    private readonly ingest: IngestService,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
    metrics: MetricsRegistry,
  ) {
    this.requests = new Counter({
      name: 'ingest_nats_requests_total',
      help: 'ingest.<tenant>.<measurement> messages by outcome (stored-unanswered: published without a reply subject)',
      labelNames: ['outcome'],
      registers: [metrics.registry],
    });
  }

  onApplicationBootstrap(): void {
    this.subscription = this.nats.nc.subscribe(INGEST_REQUEST_SUBJECTS, {
      queue: INGEST_QUEUE_GROUP,
      // Nothing a request holds may end the process: whatever escapes is logged here.
      callback: (_error, message) =>
        void this.handle(message).catch((error: unknown) => {
          this.count('failed');
          this.logger.error(
            { subject: message.subject, err: (error as Error).message },
            'NATS ingest request not answered',
          );
        }),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.drain();
  }

  private async handle(message: Msg): Promise<void> {
    const [, tenant = '', token = ''] = message.subject.split('.');
    if (!isSubjectToken(tenant)) return this.count('refused');
    const reply = message.reply;
    // Only the tenant's own inbox gets an answer: a reply subject elsewhere (another tenant's
    // inbox, a stream subject, a JetStream ack subject of a push consumer someone pointed
    // here) would make ingest publish where the sender may not. Such a message is dropped.
    if (reply && !reply.startsWith(`${tenantInboxPrefix(tenant)}.`)) {
      this.logger.warn(
        { tenant, subject: message.subject },
        'ingest request with a foreign reply subject dropped',
      );
      return this.count('foreign-reply');
    }
    let answer: object;
    let outcome: Outcome;
    try {
      answer = await this.store(message, tenant, token);
      outcome = reply ? 'stored' : 'stored-unanswered';
    } catch (error) {
      answer = this.problemOf(error, tenant);
      outcome = (answer as ProblemDetails).status >= 500 ? 'failed' : 'refused';
    }
    this.count(outcome);
    if (!reply) return;
    // max_payload is the server's (1 MiB by default); the reply is cut to fit it.
    const maxPayload = this.nats.nc.info?.max_payload ?? 1024 * 1024;
    try {
      message.respond(boundedReply(answer, maxPayload));
    } catch (error) {
      // The connection closing or draining: the requester's own timeout tells it.
      this.logger.warn({ tenant, err: (error as Error).message }, 'NATS ingest reply not sent');
    }
  }

  private async store(message: Msg, tenant: string, token: string): Promise<object> {
    let measurement: string;
    try {
      measurement = decodeSubjectToken(token);
    } catch {
      throw ProblemException.of(
        400,
        'invalid-subject',
        `"${token}" is not an encoded measurement name`,
      );
    }
    const headers = message.headers;
    const context = this.ingest.tenantContext(
      tenant,
      headers?.get(IngestRequestHeader.IdempotencyKey) || undefined,
    );
    // The stamp (tenantContext) and the field-type check are the HTTP paths' own.
    const { batch, lineErrors, lineErrorCount } = await this.ingest.withFieldTypes(
      tenant,
      (fieldTypes) =>
        parseIngestRequest(
          message.data,
          headers?.get(IngestRequestHeader.ContentType) || undefined,
          headers?.get(IngestRequestHeader.Precision) || undefined,
          measurement,
          context,
          this.config.INGEST_MAX_BODY_BYTES,
          fieldTypes,
        ),
    );
    this.ingest.refused(context, 'invalid-line', lineErrorCount);
    const accepted = await this.ingest.write(context, batch, 'nats');
    if (lineErrorCount > 0) {
      throw ProblemException.of(
        400,
        'partial-write',
        `${accepted} line(s) stored, ${lineErrorCount} rejected`,
        { written: accepted, ...refusedList(lineErrors, context.maxListedErrors, lineErrorCount) },
      );
    }
    return { accepted };
  }

  private problemOf(error: unknown, tenant: string): ProblemDetails {
    if (error instanceof ProblemException) {
      // Retry-After travels in the body: a NATS reply has no HTTP headers.
      const retryAfter = error.headers['Retry-After'];
      return retryAfter ? { ...error.problem, retryAfter: Number(retryAfter) } : error.problem;
    }
    this.logger.error({ tenant, err: (error as Error).message }, 'NATS ingest request failed');
    return { ...defaultProblem(500), detail: 'The request could not be handled' };
  }

  private count(outcome: Outcome): void {
    this.requests.inc({ outcome });
  }
}
