import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { tenantReaderCredentials } from '@iotwins/auth';
import { APP_CONFIG } from '@iotwins/config';
import type { RetrainerConfig } from '../app.config';
import { DashboardReadersRepository, MAX_ROLE_NAME_BYTES } from './dashboard-readers.repository';

/**
 * Keeps one read-only PostgreSQL login per tenant for Grafana (docs/retrainer.md#dashboard):
 * at start for the tenants in RETRAINER_DASHBOARD_TENANTS and every tenant with monitors
 * (setting the password again, so a new RETRAINER_READER_SECRET rotates it), and when a
 * tenant creates its first monitor.
 */
@Injectable()
export class DashboardReaders implements OnApplicationBootstrap {
  private readonly logger = new Logger(DashboardReaders.name);
  private readonly ready = new Map<string, Promise<void>>();

  constructor(
    private readonly repository: DashboardReadersRepository,
    @Inject(APP_CONFIG) private readonly config: RetrainerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const tenants = new Set(this.config.RETRAINER_DASHBOARD_TENANTS);
    try {
      for (const tenant of await this.repository.tenantsWithMonitors()) tenants.add(tenant);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not list the tenants with monitors');
    }
    for (const tenant of tenants) await this.ensure(tenant);
  }

  /**
   * Makes sure the tenant's reader exists. Never throws: monitoring works without the
   * dashboard, so a failure (e.g. the app's role lacks CREATEROLE) is logged and tried again
   * at the tenant's next monitor or the next start.
   */
  async ensure(tenant: string): Promise<void> {
    let pending = this.ready.get(tenant);
    if (!pending) {
      pending = this.provision(tenant);
      this.ready.set(tenant, pending);
    }
    await pending;
  }

  private async provision(tenant: string): Promise<void> {
    const credentials = tenantReaderCredentials(
      'monitors',
      this.config.RETRAINER_READER_SECRET,
      tenant,
    );
    if (Buffer.byteLength(credentials.user) > MAX_ROLE_NAME_BYTES) {
      this.logger.warn({ tenant }, 'tenant name too long for a dashboard reader role; none made');
      return;
    }
    try {
      await this.repository.ensure(tenant, credentials);
      this.logger.log({ tenant, role: credentials.user }, 'dashboard reader ready');
    } catch (error) {
      this.ready.delete(tenant);
      this.logger.error({ err: error, tenant }, 'could not provision the dashboard reader');
    }
  }
}
