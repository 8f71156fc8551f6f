import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import { assertTenantAccess, type Caller } from '@iotwins/auth';
import { nowNanoseconds, type LineBatch, type TelemetryLimits } from '@iotwins/telemetry';
import { telemetryLimits, type IngestConfig } from '../app.config';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { TelemetryPublisher } from './telemetry.publisher';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

/** One write request, whichever path it came by, after the caller is known. */
export interface WriteContext {
  tenant: string;
  limits: TelemetryLimits;
  /** Timestamp of points sent without one, as InfluxDB stamps them with its write time. */
  receivedAt: bigint;
  idempotencyKey: string | undefined;
}

/** The use case every ingest path shares: check the tenant and the rate, then publish. */
@Injectable()
export class IngestService {
  constructor(
    private readonly publisher: TelemetryPublisher,
    private readonly rateLimiter: RateLimiter,
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
    const receivedAt = nowNanoseconds();
    return { tenant, limits: telemetryLimits(this.config, receivedAt), receivedAt, idempotencyKey };
  }

  async write(context: WriteContext, batch: LineBatch, source: string): Promise<number> {
    if (batch.size === 0) return 0;
    await this.rateLimiter.consume(context.tenant, batch.size);
    return this.publisher.publish(context.tenant, batch, {
      idempotencyKey: context.idempotencyKey,
      source,
    });
  }
}
