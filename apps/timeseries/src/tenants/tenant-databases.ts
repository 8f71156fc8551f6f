import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import type { TimeseriesConfig } from '../app.config';
import { InfluxClient } from '../influx/influx.client';
import { quoteIdentifier, tenantDatabase } from '../influx/influxql';
import { influxDurationText } from './retention-duration';
import { TenantReaders } from './tenant-readers.repository';

/** Name of the retention policy the platform manages in every tenant database. */
export const RETENTION_POLICY = 'iotwins';

/**
 * One InfluxDB database per tenant, created on first write with the default retention. The
 * retention is created once and never written again except by an admin's change: every
 * replica, and every restart, finds the database as it is and leaves its retention alone.
 */
@Injectable()
export class TenantDatabases {
  private readonly logger = new Logger(TenantDatabases.name);
  private readonly known = new Set<string>();

  constructor(
    private readonly influx: InfluxClient,
    private readonly readers: TenantReaders,
    @Inject(APP_CONFIG) private readonly config: TimeseriesConfig,
  ) {}

  /** Creates the tenant's database and its retention policy if they do not exist yet. */
  async ensure(tenant: string): Promise<string> {
    const database = tenantDatabase(tenant);
    if (this.known.has(database)) return database;
    const policies = await this.policies(database);
    const defaultDuration = this.config.TIMESERIES_DEFAULT_RETENTION;
    if (policies === undefined) {
      // Another replica (or an admin's change) may win the race; CREATE DATABASE then finds a
      // policy of another duration and refuses, which leaves it as it is, as wanted.
      await this.tolerateConflict(
        `CREATE DATABASE ${quoteIdentifier(database)} WITH DURATION ${defaultDuration} NAME ${quoteIdentifier(RETENTION_POLICY)}`,
      );
    } else if (!policies.has(RETENTION_POLICY)) {
      await this.tolerateConflict(
        `CREATE RETENTION POLICY ${quoteIdentifier(RETENTION_POLICY)} ON ${quoteIdentifier(database)} DURATION ${defaultDuration} REPLICATION 1 DEFAULT`,
      );
    }
    this.known.add(database);
    // The tenant's read-only user comes with its database, so Grafana, /query and the export
    // connectors can read the first points as soon as they are stored (not a rescan later).
    await this.readers.ensure(tenant).catch((error: unknown) => {
      this.logger.warn({ tenant, err: error }, 'tenant reader not provisioned; the rescan retries');
    });
    return database;
  }

  /** Forgets a database, after InfluxDB said it does not exist (someone dropped it). */
  forget(tenant: string): void {
    this.known.delete(tenantDatabase(tenant));
  }

  /**
   * The tenant's retention as InfluxDB reports it (e.g. 720h0m0s). A tenant without data yet
   * has no database; it is not created by reading, and the answer is the default it will get.
   */
  async retention(tenant: string): Promise<string> {
    const policies = await this.policies(tenantDatabase(tenant));
    return (
      policies?.get(RETENTION_POLICY) ??
      influxDurationText(this.config.TIMESERIES_DEFAULT_RETENTION)
    );
  }

  async setRetention(tenant: string, duration: string): Promise<void> {
    const database = await this.ensure(tenant);
    await this.influx.query(
      `ALTER RETENTION POLICY ${quoteIdentifier(RETENTION_POLICY)} ON ${quoteIdentifier(database)} DURATION ${duration} DEFAULT`,
    );
  }

  /** Retention policies of a database by name (with their durations), or undefined if none. */
  private async policies(database: string): Promise<Map<string, string> | undefined> {
    let result;
    try {
      result = await this.influx.query(`SHOW RETENTION POLICIES ON ${quoteIdentifier(database)}`);
    } catch (error) {
      if (/database not found/i.test((error as Error).message)) return undefined;
      throw error;
    }
    const series = result.results?.[0]?.series?.[0];
    const nameIndex = series?.columns.indexOf('name') ?? -1;
    const durationIndex = series?.columns.indexOf('duration') ?? -1;
    return new Map(
      (series?.values ?? []).map((row) => [String(row[nameIndex]), String(row[durationIndex])]),
    );
  }

  private async tolerateConflict(statement: string): Promise<void> {
    try {
      await this.influx.query(statement);
    } catch (error) {
      if (!/retention policy conflicts|already exists/i.test((error as Error).message)) throw error;
    }
  }
}
