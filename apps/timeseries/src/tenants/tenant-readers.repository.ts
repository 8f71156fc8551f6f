import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { influxReaderCredentials, type InfluxReaderCredentials } from '@iotwins/auth';
import { APP_CONFIG } from '@iotwins/config';
import type { TimeseriesConfig } from '../app.config';
import { InfluxClient } from '../influx/influx.client';
import { quoteIdentifier, quoteString, tenantDatabase } from '../influx/influxql';

const DATABASE_PREFIX = tenantDatabase('');

/** How often databases created since (by the writer, for new tenants) get their reader. */
const RESCAN_INTERVAL_MS = 60_000;

/**
 * One InfluxDB user per tenant database with READ on that database and nothing else, for
 * Grafana and for the /query endpoint: InfluxDB itself then refuses anything outside the
 * tenant. The password is derived from TIMESERIES_READER_SECRET and set again at every start,
 * so changing the secret rotates it.
 */
@Injectable()
export class TenantReaders implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TenantReaders.name);
  private readonly ready = new Map<string, Promise<InfluxReaderCredentials>>();
  private rescan: NodeJS.Timeout | undefined;

  constructor(
    private readonly influx: InfluxClient,
    @Inject(APP_CONFIG) private readonly config: TimeseriesConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.provisionAll();
    this.rescan = setInterval(() => void this.provisionAll(), RESCAN_INTERVAL_MS);
    this.rescan.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.rescan);
  }

  /** Creates (or updates) the readers of every tenant database there is. */
  async provisionAll(): Promise<void> {
    try {
      const result = await this.influx.query('SHOW DATABASES');
      const names = (result.results?.[0]?.series?.[0]?.values ?? []).map((row) => String(row[0]));
      for (const name of names.filter((n) => n.startsWith(DATABASE_PREFIX)))
        await this.ensure(name.slice(DATABASE_PREFIX.length));
    } catch (error) {
      // Not fatal: each reader is also made the first time it is needed.
      this.logger.warn({ err: error }, 'could not provision the tenant readers at start');
    }
  }

  credentials(tenant: string): InfluxReaderCredentials {
    return influxReaderCredentials(this.config.TIMESERIES_READER_SECRET, tenant);
  }

  /** The tenant's reader, made sure to exist with READ on the tenant's (existing) database. */
  ensure(tenant: string): Promise<InfluxReaderCredentials> {
    let pending = this.ready.get(tenant);
    if (!pending) {
      pending = this.provision(tenant);
      this.ready.set(tenant, pending);
      pending.catch(() => this.ready.delete(tenant));
    }
    return pending;
  }

  /** Forgets what is known of a tenant's reader, so the next use provisions it again. */
  forget(tenant: string): void {
    this.ready.delete(tenant);
  }

  private async provision(tenant: string): Promise<InfluxReaderCredentials> {
    const credentials = this.credentials(tenant);
    const user = quoteIdentifier(credentials.user);
    const password = quoteString(credentials.password);
    try {
      await this.influx.query(`CREATE USER ${user} WITH PASSWORD ${password}`);
    } catch (error) {
      if (!/user already exists/i.test((error as Error).message)) throw error;
      await this.influx.query(`SET PASSWORD FOR ${user} = ${password}`);
    }
    await this.influx.query(`GRANT READ ON ${quoteIdentifier(tenantDatabase(tenant))} TO ${user}`);
    return credentials;
  }
}
