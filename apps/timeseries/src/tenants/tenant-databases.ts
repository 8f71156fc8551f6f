import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import type { TimeseriesConfig } from '../app.config';
import { InfluxClient } from '../influx/influx.client';
import { quoteIdentifier, tenantDatabase } from '../influx/influxql';

/** Name of the retention policy the platform manages in every tenant database. */
export const RETENTION_POLICY = 'iotwins';

/** One InfluxDB database per tenant, created on first write with the default retention. */
@Injectable()
export class TenantDatabases {
  private readonly known = new Set<string>();

  constructor(
    private readonly influx: InfluxClient,
    @Inject(APP_CONFIG) private readonly config: TimeseriesConfig,
  ) {}

  /** Creates the tenant's database if needed (CREATE DATABASE is idempotent in InfluxDB). */
  async ensure(tenant: string): Promise<string> {
    const database = tenantDatabase(tenant);
    if (this.known.has(database)) return database;
    await this.influx.query(
      `CREATE DATABASE ${quoteIdentifier(database)} WITH DURATION ${this.config.TIMESERIES_DEFAULT_RETENTION} NAME ${quoteIdentifier(RETENTION_POLICY)}`,
    );
    this.known.add(database);
    return database;
  }

  /** Forgets a database, after InfluxDB said it does not exist (someone dropped it). */
  forget(tenant: string): void {
    this.known.delete(tenantDatabase(tenant));
  }

  async retention(tenant: string): Promise<string> {
    const database = await this.ensure(tenant);
    const result = await this.influx.query(
      `SHOW RETENTION POLICIES ON ${quoteIdentifier(database)}`,
    );
    const series = result.results?.[0]?.series?.[0];
    const nameIndex = series?.columns.indexOf('name') ?? -1;
    const durationIndex = series?.columns.indexOf('duration') ?? -1;
    const row = series?.values.find((values) => values[nameIndex] === RETENTION_POLICY);
    return String(row?.[durationIndex] ?? 'unknown');
  }

  async setRetention(tenant: string, duration: string): Promise<void> {
    const database = await this.ensure(tenant);
    await this.influx.query(
      `ALTER RETENTION POLICY ${quoteIdentifier(RETENTION_POLICY)} ON ${quoteIdentifier(database)} DURATION ${duration} DEFAULT`,
    );
  }
}
