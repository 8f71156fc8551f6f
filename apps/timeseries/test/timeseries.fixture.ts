import { headers as natsHeaders } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { requireEnv } from '@iotwins/testing';
import { telemetrySubject } from '@iotwins/messaging';

/**
 * What the specs of the timeseries app share: publishing telemetry as ingest does (to a
 * tenant of the test's own), and reading what InfluxDB really stored.
 */
export async function natsAsDev() {
  const nc = await connect({
    servers: requireEnv('NATS_URL'),
    user: 'dev',
    pass: requireEnv('NATS_DEV_PASSWORD'),
  });
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) };
}

/** Publishes line protocol for a tenant on its TELEMETRY subject, as ingest does. */
export async function publishTelemetry(
  js: ReturnType<typeof jetstream>,
  tenant: string,
  measurement: string,
  lines: string[],
): Promise<void> {
  const headers = natsHeaders();
  headers.set('Iotwins-Tenant', tenant);
  headers.set('Iotwins-Points', String(lines.length));
  headers.set('Iotwins-Source', 'test');
  await js.publish(telemetrySubject(tenant, measurement), lines.join('\n'), { headers });
}

/** Runs InfluxQL against the real InfluxDB as its admin, for checks of what is stored. */
export async function influxQuery(statement: string, database?: string): Promise<unknown[][]> {
  const body = new URLSearchParams({ q: statement });
  if (database) body.set('db', database);
  const auth = Buffer.from(
    `${requireEnv('INFLUX_USER')}:${requireEnv('INFLUX_PASSWORD')}`,
  ).toString('base64');
  const response = await fetch(new URL('/query', requireEnv('INFLUX_URL')), {
    method: 'POST',
    headers: { authorization: `Basic ${auth}` },
    body,
  });
  const result = (await response.json()) as {
    results: { series?: { values: unknown[][] }[]; error?: string }[];
  };
  if (result.results[0]?.error) throw new Error(result.results[0].error);
  return result.results[0]?.series?.flatMap((series) => series.values) ?? [];
}

/** Points of one field stored in a tenant's database. */
export async function storedCount(
  tenant: string,
  measurement: string,
  field = 'v',
): Promise<number> {
  try {
    const rows = await influxQuery(
      `SELECT count("${field}") FROM "${measurement}"`,
      `iotwins_${tenant}`,
    );
    return Number(rows[0]?.[1] ?? 0);
  } catch (error) {
    if (/database not found/.test((error as Error).message)) return 0;
    throw error;
  }
}

export async function databaseExists(tenant: string): Promise<boolean> {
  const rows = await influxQuery('SHOW DATABASES');
  return rows.some((row) => row[0] === `iotwins_${tenant}`);
}
