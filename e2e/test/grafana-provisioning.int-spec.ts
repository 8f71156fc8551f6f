import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { Client } from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { influxReaderCredentials, tenantReaderCredentials } from '@iotwins/auth';
import { OBSERVATIONS_STREAM } from '@iotwins/messaging';
import {
  dashboardQueries,
  expandGrafanaSql,
  readGrafanaDashboards,
  readLocalEnv,
  repoRoot,
  requireEnv,
  startAppProcess,
  uniqueName,
  type AppProcess,
  type GrafanaDashboard,
} from '@iotwins/testing';

/**
 * Grafana cannot be installed here, so its provisioning is checked as Grafana reads it: the
 * files parse, every panel names a datasource provisioned in the organisation its dashboard
 * goes to, the datasources log in to the stores the apps provision (InfluxDB through the
 * timeseries app, PostgreSQL through the retrainer) with the credentials the placeholders
 * resolve to, and every panel query runs there as that login, which cannot reach another
 * tenant.
 */
const root = resolve(repoRoot, 'deploy/grafana');
const INFLUXDB = 'influxdb';
const POSTGRESQL = 'grafana-postgresql-datasource';

interface Datasource {
  name: string;
  uid: string;
  orgId: number;
  type: string;
  url: string;
  user: string;
  jsonData: { dbName?: string; database?: string };
  secureJsonData: { password: string };
}

interface Provider {
  name: string;
  orgId: number;
  options: { path: string };
}

describe('Grafana provisioning', () => {
  const datasourceFiles = readdirSync(resolve(root, 'provisioning/datasources')).filter((file) =>
    /\.ya?ml$/.test(file),
  );
  const datasourceConfigs = datasourceFiles.map(
    (file) =>
      parse(readFileSync(resolve(root, 'provisioning/datasources', file), 'utf8')) as {
        apiVersion: number;
        datasources: Datasource[];
      },
  );
  const datasources = datasourceConfigs.flatMap((config) => config.datasources);
  const influx = datasources.filter((d) => d.type === INFLUXDB);
  const postgres = datasources.filter((d) => d.type === POSTGRESQL);
  const providers = (
    parse(readFileSync(resolve(root, 'provisioning/dashboards/iotwins.yaml'), 'utf8')) as {
      providers: Provider[];
    }
  ).providers;
  const compose = readFileSync(resolve(repoRoot, 'docker-compose.yml'), 'utf8');
  const mountTarget = /\.\/deploy\/grafana\/dashboards:([^:\s]+)/.exec(compose)?.[1];
  const dashboards = readGrafanaDashboards();

  /** The dashboards a provider loads: the files under its path, as compose mounts them. */
  const dashboardsOf = (provider: Provider): [string, GrafanaDashboard][] => {
    const relative = provider.options.path.slice(`${mountTarget}/`.length);
    return [...dashboards].filter(([path]) => path.startsWith(`${relative}/`));
  };

  /** Placeholders filled from the environment, as Grafana expands `${VAR}`. */
  const fill = (text: string): string => {
    const env = readLocalEnv();
    return text.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => env[name] ?? '');
  };
  const placeholders = (text: string): string[] =>
    [...text.matchAll(/\$\{([A-Z_]+)\}/g)].map((match) => match[1]!);
  const tenantOf = (datasource: Datasource): string =>
    datasource.type === INFLUXDB
      ? datasource.jsonData.dbName!.replace(/^iotwins_/, '')
      : datasource.user.replace(/^iotwins_monitor_reader_/, '');

  const resolvedInflux = (datasource: Datasource) => ({
    url: fill(datasource.url),
    user: datasource.user,
    password: fill(datasource.secureJsonData.password),
    db: datasource.jsonData.dbName!,
  });
  const influxQuery = async (
    credentials: { url: string; user: string; password: string },
    q: string,
    db: string,
  ): Promise<string> => {
    const response = await fetch(`${credentials.url}/query`, {
      method: 'POST',
      body: new URLSearchParams({ q, db }),
      headers: {
        authorization: `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`,
      },
    });
    return response.text();
  };

  /** A session as Grafana's PostgreSQL datasource opens it, from the provisioned settings. */
  const clients: Client[] = [];
  const postgresLogin = async (datasource: Datasource, password?: string): Promise<Client> => {
    const [host, port] = fill(datasource.url).split(':');
    const client = new Client({
      host,
      port: Number(port),
      database: fill(datasource.jsonData.database!),
      user: datasource.user,
      password: password ?? fill(datasource.secureJsonData.password),
    });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  };

  // The timeseries app makes the InfluxDB readers at start (for every tenant database there
  // is); the retrainer makes the PostgreSQL readers at start (RETRAINER_DASHBOARD_TENANTS
  // from local.env, the tenants Grafana is provisioned for) in the provisioned database.
  const consumer = uniqueName('grafana-retrainer');
  let timeseries: AppProcess;
  let retrainer: AppProcess;
  beforeAll(async () => {
    // The provisioned tenants' databases exist as after their first write (the writer makes
    // them), so timeseries finds them at start; on a fresh stack nobody has written yet.
    const env = readLocalEnv();
    const admin = { url: env.INFLUX_URL!, user: env.INFLUX_USER!, password: env.INFLUX_PASSWORD! };
    const existing = await influxQuery(admin, 'SHOW DATABASES', '_internal');
    for (const datasource of influx)
      if (!existing.includes(`"${datasource.jsonData.dbName}"`))
        expect(
          await influxQuery(admin, `CREATE DATABASE "${datasource.jsonData.dbName}"`, '_internal'),
        ).not.toMatch(/error/);
    [timeseries, retrainer] = await Promise.all([
      startAppProcess('timeseries'),
      // Its own durable, so it never takes observations from a retrainer already running.
      startAppProcess('retrainer', { OBSERVATIONS_CONSUMER: consumer }),
    ]);
  }, 60_000);
  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    await timeseries?.stop();
    await retrainer?.stop();
    const nc = await connect({
      servers: requireEnv('NATS_URL'),
      user: 'dev',
      pass: requireEnv('NATS_DEV_PASSWORD'),
    });
    await (await jetstreamManager(nc)).consumers
      .delete(OBSERVATIONS_STREAM, consumer)
      .catch(() => undefined);
    await nc.drain();
  });

  it('logs each tenant in as its read-only users, in its own organisation, never as an admin', () => {
    const env = readLocalEnv();
    for (const group of [influx, postgres]) {
      const orgs = group.map((d) => d.orgId);
      expect(new Set(orgs).size).toBe(orgs.length);
    }
    // Each tenant's datasources live in one organisation, and each organisation is one tenant.
    const orgOf = new Map(influx.map((d) => [tenantOf(d), d.orgId]));
    expect(new Map(postgres.map((d) => [tenantOf(d), d.orgId]))).toEqual(orgOf);
    for (const datasource of influx) {
      const tenant = tenantOf(datasource);
      expect(datasource.user).toBe(`iotwins_reader_${tenant}`);
      expect(datasource.user).not.toBe(env.INFLUX_USER);
      expect(datasource.secureJsonData.password).not.toContain('INFLUX_PASSWORD');
      // The provisioned password is the one timeseries derives from its secret.
      expect(fill(datasource.secureJsonData.password)).toBe(
        influxReaderCredentials(env.TIMESERIES_READER_SECRET!, tenant).password,
      );
    }
    for (const datasource of postgres) {
      const tenant = tenantOf(datasource);
      expect(datasource.user).toBe(
        tenantReaderCredentials('monitors', env.RETRAINER_READER_SECRET!, tenant).user,
      );
      expect(datasource.user).not.toBe(env.POSTGRES_USER);
      expect(JSON.stringify(datasource)).not.toMatch(
        /POSTGRES_PASSWORD|POSTGRES_URL|POSTGRES_USER/,
      );
      // The provisioned password is the one the retrainer derives from its secret.
      expect(fill(datasource.secureJsonData.password)).toBe(
        tenantReaderCredentials('monitors', env.RETRAINER_READER_SECRET!, tenant).password,
      );
    }
    const grafana = compose.slice(compose.indexOf('  grafana:'), compose.indexOf('  ingest:'));
    expect(grafana).toContain('GF_SECURITY_ADMIN_PASSWORD: ${GRAFANA_ADMIN_PASSWORD:?');
    expect(grafana).not.toMatch(
      /INFLUX_PASSWORD|INFLUX_USER|POSTGRES_PASSWORD|POSTGRES_USER|POSTGRES_URL|admin\/admin/,
    );
    // Every variable the datasources name reaches Grafana's container.
    for (const name of datasources.flatMap((d) =>
      placeholders(`${d.url} ${d.jsonData.database ?? ''} ${d.secureJsonData.password}`),
    ))
      expect(grafana).toMatch(new RegExp(`\\n\\s+${name}: `));
  });

  it("reads its own tenant's database with the provisioned credentials, and not another's", async () => {
    const [a, b] = influx.map(resolvedInflux);
    for (const [own, other] of [
      [a!, b!],
      [b!, a!],
    ]) {
      expect(await influxQuery(own, 'SHOW MEASUREMENTS', own.db)).not.toMatch(/error/);
      const denied = await influxQuery(own, 'SHOW MEASUREMENTS', other.db);
      expect(denied).toMatch(/not authorized/);
      expect(
        await influxQuery(own, `SELECT * FROM "${other.db}"."iotwins"./.*/ LIMIT 1`, own.db),
      ).toMatch(/not authorized/);
      expect(await influxQuery(own, `DROP DATABASE "${own.db}"`, own.db)).toMatch(
        /not authorized|requires admin/,
      );
      const databases = await influxQuery(own, 'SHOW DATABASES', own.db);
      expect(databases).toContain(own.db);
      expect(databases).not.toContain(other.db);
    }
  });

  it('logs each PostgreSQL datasource in with the provisioned settings, as its tenant’s reader only', async () => {
    for (const datasource of postgres) {
      const session = await postgresLogin(datasource);
      const { rows } = await session.query<{ current_user: string; database: string }>(
        'SELECT current_user, current_database() AS database',
      );
      expect(rows).toEqual([
        { current_user: datasource.user, database: requireEnv('POSTGRES_DB') },
      ]);
      // The monitor tables themselves are not the reader's; only the dashboard's views are.
      await expect(session.query('SELECT * FROM public.monitors LIMIT 1')).rejects.toMatchObject({
        code: '42501',
      });
      for (const other of postgres.filter((d) => d !== datasource))
        await expect(
          postgresLogin(other, fill(datasource.secureJsonData.password)),
        ).rejects.toMatchObject({ code: '28P01' });
    }
  });

  it('defines one InfluxDB and one PostgreSQL datasource per tenant, credentials from the environment', () => {
    for (const config of datasourceConfigs) expect(config.apiVersion).toBe(1);
    expect(influx.map((d) => d.jsonData.dbName)).toEqual(['iotwins_tenant-a', 'iotwins_tenant-b']);
    expect(postgres.map(tenantOf)).toEqual(['tenant-a', 'tenant-b']);
    expect(datasources.map((d) => d.type).sort()).toEqual(
      [...influx, ...postgres].map((d) => d.type).sort(),
    );
    const local = readLocalEnv();
    for (const datasource of datasources) {
      const named = placeholders(
        `${datasource.url} ${datasource.jsonData.database ?? ''} ${datasource.secureJsonData.password}`,
      );
      expect(named.length).toBeGreaterThanOrEqual(2);
      for (const name of named) expect([name, Boolean(local[name])]).toEqual([name, true]);
      // No credential written into the file itself.
      expect(datasource.secureJsonData.password).toMatch(/^\$\{[A-Z_]+\}$/);
    }
  });

  it('has dashboards whose every query names a datasource provisioned in its organisation, in its language', () => {
    expect(mountTarget).toBeDefined();
    const provisioned = new Set<string>();
    for (const provider of providers) {
      const loaded = dashboardsOf(provider);
      expect([provider.name, loaded.length > 0]).toEqual([provider.name, true]);
      const inOrg = new Map(
        datasources.filter((d) => d.orgId === provider.orgId).map((d) => [d.uid, d.type]),
      );
      for (const [path, dashboard] of loaded) {
        provisioned.add(path);
        expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
        for (const query of dashboardQueries(dashboard)) {
          const where = `${provider.name}: ${dashboard.uid} ${query.where}`;
          expect([where, inOrg.get(query.datasource.uid)]).toEqual([where, query.datasource.type]);
          expect([where, query.text]).toEqual([
            where,
            query.datasource.type === INFLUXDB
              ? expect.stringMatching(/^(SELECT|SHOW) /)
              : expect.stringMatching(/^SELECT /),
          ]);
        }
      }
    }
    // No dashboard file lies outside every provider's path.
    expect([...dashboards.keys()].filter((path) => !provisioned.has(path))).toEqual([]);
  });

  it('has InfluxQL panel queries that the real InfluxDB accepts, once Grafana fills in its macros', async () => {
    const byUid = new Map(influx.map((d) => [d.uid, resolvedInflux(d)]));
    for (const dashboard of dashboards.values()) {
      for (const query of dashboardQueries(dashboard)) {
        if (query.datasource.type !== INFLUXDB || query.where.startsWith('variable')) continue;
        const datasource = byUid.get(query.datasource.uid)!;
        const text = query.text
          .replace(/\$timeFilter/g, 'time > now() - 1h')
          .replace(/\$__interval/g, '10s')
          .replace(/\$turbine/g, '.*');
        const result = JSON.parse(await influxQuery(datasource, text, datasource.db)) as {
          error?: string;
          results?: { error?: string }[];
        };
        const error = result.error ?? result.results?.[0]?.error;
        // A tenant that has not written yet has no database; any other error is the query's.
        if (error !== undefined) expect(`${query.where}: ${error}`).toMatch(/database not found/);
      }
    }
  });

  it('has SQL queries that the real PostgreSQL runs as each organisation’s reader, once Grafana fills them in', async () => {
    const range = { from: new Date(Date.now() - 24 * 3600_000), to: new Date() };
    for (const provider of providers) {
      for (const [, dashboard] of dashboardsOf(provider)) {
        const queries = dashboardQueries(dashboard).filter(
          (query) => query.datasource.type === POSTGRESQL,
        );
        if (queries.length === 0) continue;
        const datasource = postgres.find((d) => d.orgId === provider.orgId)!;
        const session = await postgresLogin(datasource);
        // Variables first, as Grafana resolves them before the panels ("All" selected).
        const variables: Record<string, string[]> = {};
        for (const query of queries.filter((q) => q.where.startsWith('variable '))) {
          const { rows } = await session.query<{ __value: string }>(query.text);
          variables[query.where.slice('variable '.length)] = rows.map((row) => row.__value);
        }
        for (const query of queries.filter((q) => !q.where.startsWith('variable '))) {
          const sql = expandGrafanaSql(query.text, range, variables);
          await expect(session.query(sql).then(() => 'ran')).resolves.toBe('ran');
        }
      }
    }
  });

  it('is provided to the dashboard provider paths under the directory docker-compose mounts', () => {
    expect(compose).toContain(`./deploy/grafana/dashboards:${mountTarget}:ro`);
    for (const provider of providers) {
      expect(provider.options.path.startsWith(`${mountTarget}/`)).toBe(true);
      const relative = provider.options.path.slice(`${mountTarget}/`.length);
      expect(readdirSync(join(root, 'dashboards', relative)).length).toBeGreaterThan(0);
    }
    // The every-tenant dashboards go to every tenant's organisation.
    const everyTenant = providers.filter((p) => p.options.path.endsWith('/every-tenant'));
    expect(everyTenant.map((p) => p.orgId).sort()).toEqual(postgres.map((d) => d.orgId).sort());
  });
});
