import { isUtf8 } from 'node:buffer';
import { Body, Controller, Headers, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentCaller, RequireRoles, Role, type Caller } from '@iotwins/auth';
import { ProblemException } from '@iotwins/http';
import {
  LineBatch,
  CsvHeaderError,
  parseCsvPoints,
  parseJsonPoints,
  parsePrecision,
  type Point,
  type Precision,
} from '@iotwins/telemetry';
import { utf8Text } from '../body/utf8-text';
import { IngestService, type WriteContext } from '../telemetry/ingest.service';
import { refusedList } from '../telemetry/refused-list';
import { PointBatchDto, WriteAcceptedDto } from './points.dto';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Retrying a batch with the same key stores it once (within the duplicate window)',
};

/** The platform's own write API: JSON and CSV batches. */
@ApiTags('points')
@Controller('v1/points')
export class PointsController {
  constructor(private readonly ingest: IngestService) {}

  @Post()
  @HttpCode(202)
  @RequireRoles(Role.TelemetryWrite)
  @ApiOperation({
    summary: 'Write a JSON batch of points',
    description:
      'All or nothing: a batch with any invalid point is refused whole, listing every invalid point.',
  })
  @ApiBody({ type: PointBatchDto })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiQuery({
    name: 'precision',
    required: false,
    description: 'unit of integer times: ns, us, ms (default), s, m, h',
  })
  @ApiQuery({
    name: 'tenant',
    required: false,
    description: 'platform admins only: write for another tenant',
  })
  @ApiAcceptedResponse({ type: WriteAcceptedDto, description: 'Stored durably; queryable shortly' })
  async writeJson(
    @CurrentCaller() caller: Caller,
    @Body() body: unknown,
    @Query('precision') precision?: string,
    @Query('tenant') tenant?: string,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<WriteAcceptedDto> {
    const context = this.ingest.context(caller, tenant, idempotencyKey);
    const { points, errors } = parseJsonPoints(body, {
      precision: precisionOf(precision, 'ms'),
      defaultTimestamp: context.receivedAt,
      limits: context.limits,
    });
    if (errors.length > 0) {
      this.ingest.refused(context, 'invalid-point', points.length + errors.length);
      throw ProblemException.of(
        400,
        'invalid-points',
        `${errors.length} point(s) are invalid; nothing was stored`,
        refusedList(errors, context.maxListedErrors),
      );
    }
    await this.refuseFieldTypeConflicts(context, points, '/points');
    return { accepted: await this.ingest.write(context, LineBatch.of(points), 'http-json') };
  }

  @Post('csv')
  @HttpCode(202)
  @RequireRoles(Role.TelemetryWrite)
  @ApiOperation({
    summary: 'Write a CSV batch of points',
    description:
      'The header names each column: time, measurement, tag:<name>, field:<name>[:float|integer|uinteger|boolean|string]. ' +
      'All or nothing, like a JSON batch.',
  })
  @ApiConsumes('text/csv')
  @ApiBody({
    schema: {
      type: 'string',
      example: 'time,tag:site,field:power\n2026-11-24T10:00:00Z,north,1520.5',
    },
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiQuery({
    name: 'measurement',
    required: false,
    description: 'measurement of every row when there is no measurement column',
  })
  @ApiQuery({
    name: 'precision',
    required: false,
    description: 'unit of integer times: ns, us, ms (default), s, m, h',
  })
  @ApiAcceptedResponse({ type: WriteAcceptedDto })
  async writeCsv(
    @CurrentCaller() caller: Caller,
    @Body() body: unknown,
    @Query('measurement') measurement?: string,
    @Query('precision') precision?: string,
    @Query('tenant') tenant?: string,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<WriteAcceptedDto> {
    if (!Buffer.isBuffer(body)) {
      throw ProblemException.of(415, 'unsupported-media-type', 'Send the CSV as text/csv');
    }
    if (!isUtf8(body))
      throw ProblemException.of(400, 'invalid-encoding', 'The body is not valid UTF-8');
    const context = this.ingest.context(caller, tenant, idempotencyKey);
    let parsed;
    try {
      parsed = parseCsvPoints(utf8Text(body), {
        measurement,
        precision: precisionOf(precision, 'ms'),
        defaultTimestamp: context.receivedAt,
        limits: context.limits,
      });
    } catch (error) {
      if (error instanceof CsvHeaderError)
        throw ProblemException.of(400, 'invalid-csv-header', error.message);
      throw error;
    }
    if (parsed.errors.length > 0) {
      this.ingest.refused(context, 'invalid-point', parsed.points.length + parsed.errors.length);
      throw ProblemException.of(
        400,
        'invalid-points',
        `${parsed.errors.length} row(s) are invalid; nothing was stored`,
        refusedList(parsed.errors, context.maxListedErrors),
      );
    }
    await this.refuseFieldTypeConflicts(context, parsed.points, undefined);
    return {
      accepted: await this.ingest.write(context, LineBatch.of(parsed.points), 'http-csv'),
    };
  }

  /** All or nothing, like every other invalid point: a type conflict refuses the batch. */
  private async refuseFieldTypeConflicts(
    context: WriteContext,
    points: Point[],
    pointer: string | undefined,
  ): Promise<void> {
    const conflicts = await this.ingest.checkPoints(context, points);
    if (conflicts.length === 0) return;
    this.ingest.refused(context, 'field-type-conflict', points.length);
    throw ProblemException.of(
      400,
      'invalid-points',
      `${conflicts.length} point(s) conflict with stored field types; nothing was stored`,
      refusedList(
        conflicts
          .slice(0, context.maxListedErrors)
          .map(({ index, detail }) =>
            pointer === undefined
              ? { line: index + 2, detail }
              : { index, pointer: `${pointer}/${index}/fields`, detail },
          ),
        context.maxListedErrors,
        conflicts.length,
      ),
    );
  }
}

export function precisionOf(value: string | undefined, fallback: Precision): Precision {
  if (value === undefined) return fallback;
  const precision = parsePrecision(value);
  if (!precision) {
    throw ProblemException.of(
      400,
      'invalid-precision',
      `precision "${value}" is not one of ns, us, ms, s, m, h`,
    );
  }
  return precision;
}
