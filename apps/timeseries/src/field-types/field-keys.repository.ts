import { Injectable } from '@nestjs/common';
import { fieldTypeSchema, type MeasurementFieldTypes } from '@iotwins/messaging';
import { InfluxClient } from '../influx/influx.client';
import { tenantDatabase } from '../influx/influxql';

const DATABASE_PREFIX = tenantDatabase('');

/** Reads the field types InfluxDB holds (`SHOW FIELD KEYS`), per tenant database. */
@Injectable()
export class FieldKeysRepository {
  constructor(private readonly influx: InfluxClient) {}

  /** The tenants that have a database. */
  async tenants(): Promise<string[]> {
    const result = await this.influx.query('SHOW DATABASES');
    const values = result.results?.[0]?.series?.[0]?.values ?? [];
    return values
      .map((row) => String(row[0]))
      .filter((name) => name.startsWith(DATABASE_PREFIX))
      .map((name) => name.slice(DATABASE_PREFIX.length));
  }

  /**
   * Every measurement's field types. A field InfluxDB lists with two types (shards written
   * before and after a type changed) keeps the first listed.
   */
  async fieldTypes(tenant: string): Promise<Map<string, MeasurementFieldTypes>> {
    const result = await this.influx.query('SHOW FIELD KEYS', tenantDatabase(tenant));
    const measurements = new Map<string, MeasurementFieldTypes>();
    for (const series of result.results?.[0]?.series ?? []) {
      const fields: MeasurementFieldTypes = {};
      for (const [key, type] of series.values) {
        const parsed = fieldTypeSchema.safeParse(type);
        if (parsed.success && fields[String(key)] === undefined) fields[String(key)] = parsed.data;
      }
      measurements.set(series.name, fields);
    }
    return measurements;
  }
}
