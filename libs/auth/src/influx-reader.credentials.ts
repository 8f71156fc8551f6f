import { createHmac } from 'node:crypto';

export interface InfluxReaderCredentials {
  user: string;
  password: string;
}

/**
 * The InfluxDB user that may only READ one tenant's database, and its password, derived from
 * a configured secret (TIMESERIES_READER_SECRET) so that the timeseries app, Grafana's
 * provisioning and an operator's tooling agree without storing passwords anywhere. Changing
 * the secret rotates every reader's password at the app's next start.
 */
export function influxReaderCredentials(secret: string, tenant: string): InfluxReaderCredentials {
  return {
    user: `iotwins_reader_${tenant}`,
    password: createHmac('sha256', secret).update(`influx-reader:${tenant}`).digest('base64url'),
  };
}
