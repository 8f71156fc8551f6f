import { Body, Controller, Headers, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiNoContentResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { AcceptClientSecret, CurrentCaller, RequireRoles, Role, type Caller } from '@iotwins/auth';
import { ProblemException } from '@iotwins/http';
import { IngestService } from '../telemetry/ingest.service';
import { precisionOf } from '../points/points.controller';
import { refusedList } from '../telemetry/refused-list';

/**
 * InfluxDB's write endpoints, so Telegraf, Node-RED and InfluxDB client libraries write to
 * the platform unchanged. The database (v1 `db`) or bucket (v2 `bucket`) is the tenant.
 * As in InfluxDB, good lines are kept and the answer lists the bad ones.
 */
@ApiTags('influxdb-compatible')
@Controller()
@AcceptClientSecret()
export class InfluxWriteController {
  constructor(private readonly ingest: IngestService) {}

  @Post('write')
  @HttpCode(204)
  @RequireRoles(Role.TelemetryWrite)
  @ApiOperation({
    summary: 'InfluxDB v1 write (line protocol)',
    description: 'Credentials: Bearer token, Basic or u/p with a Keycloak client id and secret.',
  })
  @ApiConsumes('text/plain')
  @ApiBody({
    schema: { type: 'string', example: 'turbine,site=north power=1520.5 1795514400000000000' },
  })
  @ApiQuery({ name: 'db', required: true, description: 'the tenant id' })
  @ApiQuery({
    name: 'precision',
    required: false,
    description: 'n/ns (default), u/us, ms, s, m, h',
  })
  @ApiNoContentResponse({ description: 'Every line stored durably (or the body held none)' })
  async writeV1(
    @CurrentCaller() caller: Caller,
    @Body() body: unknown,
    @Query('db') db?: string,
    @Query('precision') precision?: string,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<void> {
    if (!db)
      throw ProblemException.of(
        400,
        'missing-database',
        'The db query parameter (your tenant id) is required',
        { error: 'database is required' },
      );
    await this.writeLines(caller, db, body, precision, idempotencyKey, 'influx-v1');
  }

  @Post('api/v2/write')
  @HttpCode(204)
  @RequireRoles(Role.TelemetryWrite)
  @ApiOperation({
    summary: 'InfluxDB v2 write (line protocol)',
    description: 'Credentials: Bearer token, or `Token <client id>:<secret>`.',
  })
  @ApiConsumes('text/plain')
  @ApiBody({ schema: { type: 'string' } })
  @ApiQuery({ name: 'bucket', required: true, description: 'the tenant id' })
  @ApiQuery({
    name: 'org',
    required: false,
    description: 'accepted and ignored: the tenant comes from the bucket',
  })
  @ApiQuery({ name: 'precision', required: false, description: 'ns (default), us, ms, s' })
  @ApiNoContentResponse({ description: 'Every line stored durably (or the body held none)' })
  async writeV2(
    @CurrentCaller() caller: Caller,
    @Body() body: unknown,
    @Query('bucket') bucket?: string,
    @Query('precision') precision?: string,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<void> {
    if (!bucket)
      throw ProblemException.of(
        400,
        'missing-bucket',
        'The bucket query parameter (your tenant id) is required',
        { error: 'bucket is required' },
      );
    await this.writeLines(caller, bucket, body, precision, idempotencyKey, 'influx-v2');
  }

  private async writeLines(
    caller: Caller,
    tenant: string,
    body: unknown,
    precision: string | undefined,
    idempotencyKey: string | undefined,
    source: string,
  ): Promise<void> {
    if (!Buffer.isBuffer(body)) {
      throw ProblemException.of(415, 'unsupported-media-type', 'Send line protocol as text/plain', {
        error: 'line protocol expected',
      });
    }
    const context = this.ingest.context(caller, tenant, idempotencyKey);
    const { batch, errors, errorCount, truncated } = await this.ingest.scanLines(
      context,
      body,
      precisionOf(precision, 'ns'),
    );
    if (truncated) {
      throw ProblemException.of(
        413,
        'too-many-points',
        `A batch may hold at most ${context.limits.maxPointsPerBatch} lines, stored or refused; nothing was stored`,
        {
          error: 'batch too large',
        },
      );
    }
    // An empty or comment-only body stores nothing and is no error, as in InfluxDB 1.x.
    if (batch.size === 0 && errorCount === 0) return;
    this.ingest.refused(context, 'invalid-line', errorCount);
    const written = await this.ingest.write(context, batch, source);
    if (errorCount > 0) {
      // InfluxDB clients read the `error` member; the platform's own clients read `errors`.
      const summary = errors
        .slice(0, 3)
        .map((e) => `line ${e.line}: ${e.detail}`)
        .join('; ');
      throw ProblemException.of(
        400,
        'partial-write',
        `${written} line(s) stored, ${errorCount} rejected`,
        {
          written,
          ...refusedList(errors, context.maxListedErrors, errorCount),
          error: `partial write: ${summary}${errorCount > 3 ? '; …' : ''} dropped=${errorCount}`,
        },
      );
    }
  }
}
