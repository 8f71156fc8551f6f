import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException } from '@iotwins/http';
import type { TimeseriesConfig } from '../app.config';
import { InfluxClient, type InfluxQueryResult } from '../influx/influx.client';
import { tenantDatabase } from '../influx/influxql';
import {
  buildLastStatement,
  buildPointsStatement,
  showFieldKeys,
  showMeasurements,
  showTagKeys,
  showTagValues,
} from './influxql.builder';
import type { PointsQuery } from './points-query';
import { TenantQuerySlots } from './tenant-query-slots';
import {
  columnOf,
  convertSeries,
  firstColumn,
  type InfluxFieldType,
  type SeriesOut,
} from './series.converter';

export interface FieldKey {
  name: string;
  type: InfluxFieldType;
}

/** Answers queries on one tenant's database; the tenant always comes from the caller's token. */
@Injectable()
export class QueryService {
  constructor(
    private readonly influx: InfluxClient,
    private readonly slots: TenantQuerySlots,
    @Inject(APP_CONFIG) private readonly config: TimeseriesConfig,
  ) {}

  async measurements(tenant: string): Promise<string[]> {
    return firstColumn(await this.run(tenant, (db) => showMeasurements(db)));
  }

  async tagKeys(tenant: string, measurement: string): Promise<string[]> {
    return firstColumn(await this.run(tenant, (db) => showTagKeys(db, measurement)));
  }

  async tagValues(tenant: string, measurement: string, key: string): Promise<string[]> {
    return columnOf(await this.run(tenant, (db) => showTagValues(db, measurement, key)), 'value');
  }

  async fieldKeys(tenant: string, measurement: string): Promise<FieldKey[]> {
    const result = await this.run(tenant, (db) => showFieldKeys(db, measurement));
    const names = columnOf(result, 'fieldKey');
    const types = columnOf(result, 'fieldType');
    return names.map((name, index) => ({ name, type: types[index] as InfluxFieldType }));
  }

  async points(tenant: string, query: PointsQuery): Promise<SeriesOut[]> {
    const result = await this.run(tenant, (db) => buildPointsStatement(db, query));
    if (query.aggregate !== undefined) return convertSeries(result, new Map(), true);
    return convertSeries(result, await this.typesOf(tenant, query.measurement, result), false);
  }

  async last(
    tenant: string,
    measurement: string,
    tags: Record<string, string>,
  ): Promise<SeriesOut[]> {
    const result = await this.run(tenant, (db) => buildLastStatement(db, measurement, tags));
    return convertSeries(result, await this.typesOf(tenant, measurement, result), false);
  }

  /**
   * Field types of the columns in a result. They are read after the data: InfluxDB can
   * show a just-written point a moment before its field index names the field, and a
   * missing type would turn an integer into a float. A missing one is asked for again.
   */
  private async typesOf(
    tenant: string,
    measurement: string,
    result: InfluxQueryResult,
  ): Promise<Map<string, InfluxFieldType>> {
    const series = result.results?.[0]?.series ?? [];
    const columns = new Set(series.flatMap((item) => item.columns.slice(1)));
    let types = await this.fieldTypes(tenant, measurement);
    for (let attempt = 0; attempt < 20 && [...columns].some((c) => !types.has(c)); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      types = await this.fieldTypes(tenant, measurement);
    }
    return types;
  }

  async fieldTypes(tenant: string, measurement: string): Promise<Map<string, InfluxFieldType>> {
    return new Map(
      (await this.fieldKeys(tenant, measurement)).map((field) => [field.name, field.type]),
    );
  }

  private async run(tenant: string, statement: (database: string) => string) {
    const timeoutMs = this.config.TIMESERIES_QUERY_TIMEOUT_MS;
    return this.slots
      .run(tenant, async () => {
        try {
          return await this.influx.query(
            statement(tenantDatabase(tenant)),
            tenantDatabase(tenant),
            timeoutMs,
          );
        } catch (error) {
          throw queryProblem(error, timeoutMs);
        }
      })
      .catch((error: unknown) => {
        // A tenant that never wrote has no database yet: that is an empty answer, not an error.
        if (error instanceof DatabaseNotFound) return { results: [] };
        throw error;
      });
  }
}

class DatabaseNotFound extends Error {}

/**
 * What a failed InfluxDB query means to the caller: a query that ran past its time is the
 * caller's to narrow (400, naming the limit); InfluxDB unreachable is 503 with Retry-After.
 */
export function queryProblem(error: unknown, timeoutMs: number): Error {
  const name = (error as { name?: string }).name;
  const message = (error as Error).message ?? '';
  if (/database not found/i.test(message)) return new DatabaseNotFound(message);
  if (name === 'TimeoutError' || name === 'AbortError')
    return ProblemException.of(
      400,
      'query-timeout',
      `The query ran longer than ${timeoutMs} ms (TIMESERIES_QUERY_TIMEOUT_MS) and was stopped; narrow the range or widen every`,
      { limit: 'TIMESERIES_QUERY_TIMEOUT_MS', value: timeoutMs },
    );
  if (
    message === 'fetch failed' ||
    /ECONNREFUSED|ECONNRESET/.test(String((error as { cause?: unknown }).cause))
  )
    return ProblemException.of(
      503,
      'influxdb-unavailable',
      'InfluxDB cannot be reached; try again shortly',
      {},
      { 'Retry-After': '5' },
    );
  return ProblemException.of(502, 'influxdb-error', 'InfluxDB could not answer the query');
}
