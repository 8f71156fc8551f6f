import { Injectable } from '@nestjs/common';
import { ProblemException } from '@iotwins/http';
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
  constructor(private readonly influx: InfluxClient) {}

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
    try {
      return await this.influx.query(statement(tenantDatabase(tenant)), tenantDatabase(tenant));
    } catch (error) {
      // A tenant that never wrote has no database yet: that is an empty answer, not an error.
      if (/database not found/i.test((error as Error).message)) return { results: [] };
      throw ProblemException.of(502, 'influxdb-error', 'InfluxDB could not answer the query');
    }
  }
}
