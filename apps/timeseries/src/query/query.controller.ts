import { Readable } from 'node:stream';
import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentCaller, RequireRoles, Role, type Caller } from '@iotwins/auth';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import type { TimeseriesConfig } from '../app.config';
import { InfluxClient } from '../influx/influx.client';
import { exportCsv, exportNdjson } from './export.stream';
import { assertQueryName, parsePointsQuery, type PointsQuery } from './points-query';
import { TenantQuerySlots } from './tenant-query-slots';
import { QueryService, queryProblem, type FieldKey } from './query.service';
import type { SeriesOut } from './series.converter';

const RANGE_PARAMS = [
  { name: 'start', required: false, description: 'RFC 3339 or epoch ns; default end - 1h' },
  { name: 'end', required: false, description: 'RFC 3339 or epoch ns (exclusive); default now' },
  {
    name: 'tag.<key>',
    required: false,
    description: 'keep series whose tag <key> equals the value (repeat per key)',
  },
];

/** Reads of the caller's tenant database. The tenant always comes from the token. */
@ApiTags('query')
@Controller('v1/measurements')
@RequireRoles(Role.TelemetryRead)
export class QueryController {
  constructor(
    private readonly queries: QueryService,
    private readonly influx: InfluxClient,
    private readonly slots: TenantQuerySlots,
    @Inject(APP_CONFIG) private readonly config: TimeseriesConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Measurements of the tenant' })
  async measurements(@CurrentCaller() caller: Caller): Promise<{ measurements: string[] }> {
    return { measurements: await this.queries.measurements(caller.tenant) };
  }

  @Get(':measurement/tag-keys')
  @ApiOperation({ summary: 'Tag keys of a measurement' })
  async tagKeys(
    @CurrentCaller() caller: Caller,
    @Param('measurement') measurement: string,
  ): Promise<{ tagKeys: string[] }> {
    assertQueryName('measurement', measurement);
    return { tagKeys: await this.queries.tagKeys(caller.tenant, measurement) };
  }

  @Get(':measurement/tag-keys/:key/values')
  @ApiOperation({ summary: 'Values of one tag key of a measurement' })
  async tagValues(
    @CurrentCaller() caller: Caller,
    @Param('measurement') measurement: string,
    @Param('key') key: string,
  ): Promise<{ values: string[] }> {
    assertQueryName('measurement', measurement);
    assertQueryName('key', key);
    return { values: await this.queries.tagValues(caller.tenant, measurement, key) };
  }

  @Get(':measurement/fields')
  @ApiOperation({ summary: 'Field keys of a measurement with their types' })
  async fields(
    @CurrentCaller() caller: Caller,
    @Param('measurement') measurement: string,
  ): Promise<{ fields: FieldKey[] }> {
    assertQueryName('measurement', measurement);
    return { fields: await this.queries.fieldKeys(caller.tenant, measurement) };
  }

  @Get(':measurement/points')
  @ApiOperation({
    summary: 'Points of a measurement in a time range, raw or aggregated per window',
    description:
      'Raw values come back in the type they were written (integers as {"type":"integer","value":…}, a string past 2^53); ' +
      'times are RFC 3339 with nine fraction digits. limit and offset apply per series.',
  })
  @ApiParam({ name: 'measurement' })
  @ApiQuery(RANGE_PARAMS[0]!)
  @ApiQuery(RANGE_PARAMS[1]!)
  @ApiQuery(RANGE_PARAMS[2]!)
  @ApiQuery({
    name: 'fields',
    required: false,
    description: 'comma-separated field names; default all',
  })
  @ApiQuery({
    name: 'aggregate',
    required: false,
    enum: ['mean', 'median', 'min', 'max', 'sum', 'count', 'first', 'last', 'percentile'],
  })
  @ApiQuery({
    name: 'percentile',
    required: false,
    description: 'with aggregate=percentile, e.g. 95',
  })
  @ApiQuery({ name: 'every', required: false, description: 'window of the aggregate, e.g. 1m, 1h' })
  @ApiQuery({ name: 'fill', required: false, enum: ['null', 'none', 'previous', 'linear', '0'] })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'offset', required: false })
  @ApiQuery({ name: 'order', required: false, enum: ['asc', 'desc'] })
  @ApiOkResponse({ description: '{ measurement, series: [{ tags, points: [{ time, fields }] }] }' })
  async points(
    @CurrentCaller() caller: Caller,
    @Param('measurement') measurement: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ measurement: string; series: SeriesOut[] }> {
    const parsed = parsePointsQuery(measurement, query, this.limits());
    return { measurement, series: await this.queries.points(caller.tenant, parsed) };
  }

  @Get(':measurement/last')
  @ApiOperation({ summary: 'The newest point of each series of a measurement' })
  @ApiQuery(RANGE_PARAMS[2]!)
  async last(
    @CurrentCaller() caller: Caller,
    @Param('measurement') measurement: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ measurement: string; series: SeriesOut[] }> {
    const { tags } = parsePointsQuery(measurement, onlyTags(query), this.limits());
    return { measurement, series: await this.queries.last(caller.tenant, measurement, tags) };
  }

  @Get(':measurement/export')
  @ApiOperation({
    summary: 'Every point of a range as CSV or NDJSON, streamed',
    description:
      'The CSV uses the column format of POST /v1/points/csv, so an export can be written back as it is.',
  })
  @ApiProduces('text/csv', 'application/x-ndjson')
  @ApiQuery(RANGE_PARAMS[0]!)
  @ApiQuery(RANGE_PARAMS[1]!)
  @ApiQuery(RANGE_PARAMS[2]!)
  @ApiQuery({ name: 'format', required: false, enum: ['csv', 'ndjson'] })
  async export(
    @CurrentCaller() caller: Caller,
    @Param('measurement') measurement: string,
    @Query() query: Record<string, unknown>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { format = 'csv', ...range } = query;
    if (format !== 'csv' && format !== 'ndjson') {
      throw ProblemException.of(400, 'invalid-query', 'format must be csv or ndjson');
    }
    const parsed: PointsQuery = parsePointsQuery(measurement, range, this.limits());
    const fields = await this.queries.fieldKeys(caller.tenant, measurement);
    const tagKeys = format === 'csv' ? await this.queries.tagKeys(caller.tenant, measurement) : [];
    // The export holds one of the tenant's query slots for as long as it streams.
    const release = this.slots.acquire(caller.tenant);
    const source = releasing(
      format === 'csv'
        ? exportCsv(this.influx, caller.tenant, parsed, tagKeys, fields)
        : exportNdjson(this.influx, caller.tenant, parsed, fields),
      release,
    );
    // The first item comes after InfluxDB accepted the query: a refusal or an outage is still
    // answered with its own status here, not as a 200 cut off after the headers.
    let first: IteratorResult<string>;
    try {
      first = await source.next();
    } catch (error) {
      await source.return(undefined);
      throw queryProblem(error, this.config.TIMESERIES_QUERY_TIMEOUT_MS);
    }
    const filename = `${measurement.replace(/[^A-Za-z0-9_-]/g, '_')}.${format}`;
    await reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
      .header('content-disposition', `attachment; filename="${filename}"`)
      .send(Readable.from(prepend(first, source)));
  }

  private limits() {
    return {
      maxLimit: this.config.TIMESERIES_QUERY_MAX_LIMIT,
      defaultLimit: this.config.TIMESERIES_QUERY_DEFAULT_LIMIT,
      maxWindows: this.config.TIMESERIES_QUERY_MAX_WINDOWS,
    };
  }
}

function onlyTags(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([name]) => name.startsWith('tag.')));
}

async function* releasing<T>(source: AsyncGenerator<T>, release: () => void): AsyncGenerator<T> {
  try {
    yield* source;
  } finally {
    release();
  }
}

async function* prepend<T>(first: IteratorResult<T>, rest: AsyncGenerator<T>): AsyncGenerator<T> {
  if (first.done) return;
  yield first.value;
  yield* rest;
}
