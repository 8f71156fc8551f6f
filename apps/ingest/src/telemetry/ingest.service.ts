import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import { assertTenantAccess, type Caller } from '@iotwins/auth';
import { isSubjectToken } from '@iotwins/messaging';
import {
  RequestFieldTypes,
  checkPointFieldTypes,
  scanLineProtocol,
  type LineBatch,
  type Point,
  type PointFieldTypeError,
  type Precision,
  type ScannedBatch,
  type TelemetryLimits,
} from '@iotwins/telemetry';
import { telemetryLimits, type IngestConfig } from '../app.config';
import { FieldTypeRegistry } from '../field-types/field-type.registry';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { IngestMetrics } from './ingest.metrics';
import { RequestClock } from './request.clock';
import { TelemetryPublisher } from './telemetry.publisher';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;
/** Checks of one request against the registry; more means other writers keep racing it. */
const FIELD_TYPE_ROUNDS = 5;

/** One write request, whichever path it came by, after the caller is known. */
export interface WriteContext {
  tenant: string;
  limits: TelemetryLimits;
  /** Timestamp of points sent without one: one nanosecond stamp per request, never reused. */
  receivedAt: bigint;
  idempotencyKey: string | undefined;
  /** Refused lines or points an answer names at most; the rest are counted. */
  maxListedErrors: number;
}

/**
 * The use case every ingest path shares (HTTP, MQTT, gRPC, NATS): the tenant, the checks a
 * store would make (line protocol, field types), the rate, then the publish.
 */
@Injectable()
export class IngestService {
  constructor(
    private readonly publisher: TelemetryPublisher,
    private readonly rateLimiter: RateLimiter,
    private readonly fieldTypes: FieldTypeRegistry,
    private readonly clock: RequestClock,
    private readonly metrics: IngestMetrics,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
  ) {}

  /**
   * The tenant written to: the caller's own, or the one named by the request (an InfluxDB
   * database or bucket), which must be the caller's unless it is a platform admin.
   */
  context(
    caller: Caller,
    requestedTenant: string | undefined,
    idempotencyKey: string | undefined,
  ): WriteContext {
    const tenant = requestedTenant ?? caller.tenant;
    if (!isSubjectToken(tenant)) {
      throw ProblemException.of(
        400,
        'invalid-tenant',
        'A tenant id (db, bucket or tenant) is 1 to 128 letters, digits, "_" or "-"',
        { error: `database name "${tenant.slice(0, 140)}" is not valid` },
      );
    }
    assertTenantAccess(caller, tenant);
    return this.tenantContext(tenant, idempotencyKey);
  }

  /**
   * A write for a tenant established by other means than a token: the MQTT broker, whose
   * ACLs let a gateway publish only under its own tenant's topics.
   */
  tenantContext(tenant: string, idempotencyKey: string | undefined): WriteContext {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw ProblemException.of(
        400,
        'invalid-idempotency-key',
        'Idempotency-Key must be 1 to 128 letters, digits, ".", "_", ":" or "-"',
      );
    }
    const receivedAt = this.clock.now();
    return {
      tenant,
      limits: telemetryLimits(this.config, receivedAt),
      receivedAt,
      idempotencyKey,
      maxListedErrors: this.config.INGEST_MAX_LISTED_ERRORS,
    };
  }

  /**
   * Validates a request against the tenant's field types: `validate` checks the request
   * with the types given (the store's, then its own earlier lines'); fields it introduces are
   * registered, and when another writer registered another type first the request is checked
   * again, so the lines that now conflict are refused before any acknowledgement.
   */
  async withFieldTypes<T>(
    tenant: string,
    validate: (fieldTypes: RequestFieldTypes) => T,
  ): Promise<T> {
    for (let round = 1; ; round++) {
      const fieldTypes = new RequestFieldTypes(this.fieldTypes.lookup(tenant));
      const result = validate(fieldTypes);
      if (await this.fieldTypes.register(tenant, fieldTypes.newFields())) return result;
      if (round >= FIELD_TYPE_ROUNDS) {
        throw ProblemException.of(
          503,
          'telemetry-not-stored',
          'Field types of this batch are being registered concurrently by other writers; retry',
          { error: 'field types changing concurrently' },
          { 'Retry-After': '1' },
        );
      }
    }
  }

  /** Line protocol, checked as InfluxDB would (syntax, limits, field types). */
  scanLines(
    context: WriteContext,
    body: string | Uint8Array,
    precision: Precision,
  ): Promise<ScannedBatch> {
    return this.withFieldTypes(context.tenant, (fieldTypes) =>
      scanLineProtocol(body, {
        precision,
        defaultTimestamp: context.receivedAt,
        limits: context.limits,
        fieldTypes,
        maxListedErrors: context.maxListedErrors,
      }),
    );
  }

  /** Points from JSON, CSV or protobuf: the field-type conflicts among them, by index. */
  checkPoints(context: WriteContext, points: readonly Point[]): Promise<PointFieldTypeError[]> {
    return this.withFieldTypes(context.tenant, (fieldTypes) =>
      checkPointFieldTypes(points, fieldTypes, context.limits.unsignedAsInteger),
    );
  }

  /** Counts points refused before publishing, by reason, for the operators' metrics. */
  refused(context: WriteContext, reason: string, points: number): void {
    if (points > 0)
      this.metrics.points.inc({ tenant: context.tenant, outcome: 'refused', reason }, points);
  }

  async write(context: WriteContext, batch: LineBatch, source: string): Promise<number> {
    if (batch.size === 0) return 0;
    await this.rateLimiter.consume(context.tenant, batch.size);
    const written = await this.publisher.publish(context.tenant, batch, {
      idempotencyKey: context.idempotencyKey,
      source,
    });
    this.metrics.points.inc(
      { tenant: context.tenant, outcome: 'accepted', reason: source },
      written,
    );
    return written;
  }
}
