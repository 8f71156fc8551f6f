import { createHmac } from 'node:crypto';

export interface TenantReaderCredentials {
  user: string;
  password: string;
}
/** Kept for the InfluxDB readers' callers; the same shape for every store. */
export type InfluxReaderCredentials = TenantReaderCredentials;

/**
 * The stores that hand a tenant a read-only login of its own (for Grafana's datasources): the
 * user name prefix and the label the password's HMAC is taken over. Renaming either changes
 * every provisioned login: Grafana's provisioning must change with it.
 */
const READER_STORES = {
  /** InfluxDB user with READ on `iotwins_<tenant>` only; made by the timeseries app. */
  influxdb: { userPrefix: 'iotwins_reader_', label: 'influx-reader' },
  /** PostgreSQL role that sees its tenant's monitor history only; made by the retrainer. */
  monitors: { userPrefix: 'iotwins_monitor_reader_', label: 'monitor-reader' },
} as const;

export type ReaderStore = keyof typeof READER_STORES;

/**
 * A tenant's read-only login to one store, and its password, derived from a configured secret
 * (TIMESERIES_READER_SECRET, RETRAINER_READER_SECRET) so that the app that makes the login,
 * Grafana's provisioning and an operator's tooling agree without storing passwords anywhere:
 * `base64url(HMAC-SHA256(secret, "<label>:<tenant>"))`. Changing the secret rotates every
 * reader's password at the owning app's next start.
 */
export function tenantReaderCredentials(
  store: ReaderStore,
  secret: string,
  tenant: string,
): TenantReaderCredentials {
  const { userPrefix, label } = READER_STORES[store];
  return {
    user: `${userPrefix}${tenant}`,
    password: createHmac('sha256', secret).update(`${label}:${tenant}`).digest('base64url'),
  };
}

/** The InfluxDB reader of a tenant (TIMESERIES_READER_SECRET). */
export function influxReaderCredentials(secret: string, tenant: string): InfluxReaderCredentials {
  return tenantReaderCredentials('influxdb', secret, tenant);
}
