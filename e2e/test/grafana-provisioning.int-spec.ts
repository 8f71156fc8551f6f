import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { influxReaderCredentials } from '@iotwins/auth';
import { readLocalEnv, repoRoot, startAppProcess, type AppProcess } from '@iotwins/testing';

/**
 * Grafana cannot be installed here, so its provisioning is checked as Grafana reads it: the
 * files parse, every panel names a provisioned datasource, and the datasources point at the
 * tenant databases the timeseries app creates.
 */
const root = resolve(repoRoot, 'deploy/grafana');

interface Datasource {
  name: string;
  uid: string;
  orgId: number;
  type: string;
  url: string;
  user: string;
  jsonData: { dbName: string };
  secureJsonData: { password: string };
}

describe('Grafana provisioning', () => {
  const datasources = parse(
    readFileSync(resolve(root, 'provisioning/datasources/iotwins-influxdb.yaml'), 'utf8'),
  ) as {
    apiVersion: number;
    datasources: Datasource[];
  };
  const dashboards = readdirSync(resolve(root, 'dashboards')).map(
    (file) =>
      JSON.parse(readFileSync(resolve(root, 'dashboards', file), 'utf8')) as {
        uid: string;
        panels: { title: string; datasource: { uid: string }; targets: { query: string }[] }[];
      },
  );

  /** A datasource's settings as Grafana sees them, placeholders filled from the environment. */
  const resolved = (datasource: Datasource) => {
    const env = readLocalEnv();
    const fill = (text: string): string =>
      text.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => env[name] ?? '');
    return {
      url: fill(datasource.url),
      user: datasource.user,
      password: fill(datasource.secureJsonData.password),
      db: datasource.jsonData.dbName,
    };
  };
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

  // The timeseries app makes the tenant readers at start (for every tenant database there is).
  let timeseries: AppProcess;
  beforeAll(async () => {
    timeseries = await startAppProcess('timeseries');
  }, 60_000);
  afterAll(async () => {
    await timeseries?.stop();
  });

  it('logs each tenant in as its read-only user, in its own organisation, never as the admin', () => {
    const env = readLocalEnv();
    const orgs = datasources.datasources.map((d) => d.orgId);
    expect(new Set(orgs).size).toBe(orgs.length);
    for (const datasource of datasources.datasources) {
      const tenant = datasource.jsonData.dbName.replace(/^iotwins_/, '');
      expect(datasource.user).toBe(`iotwins_reader_${tenant}`);
      expect(datasource.user).not.toBe(env.INFLUX_USER);
      expect(datasource.secureJsonData.password).not.toContain('INFLUX_PASSWORD');
      // The provisioned password is the one timeseries derives from its secret.
      expect(resolved(datasource).password).toBe(
        influxReaderCredentials(env.TIMESERIES_READER_SECRET!, tenant).password,
      );
    }
    const compose = readFileSync(resolve(repoRoot, 'docker-compose.yml'), 'utf8');
    const grafana = compose.slice(compose.indexOf('  grafana:'), compose.indexOf('  ingest:'));
    expect(grafana).toContain('GF_SECURITY_ADMIN_PASSWORD: ${GRAFANA_ADMIN_PASSWORD:?');
    expect(grafana).not.toMatch(/INFLUX_PASSWORD|INFLUX_USER|admin\/admin/);
  });

  it("reads its own tenant's database with the provisioned credentials, and not another's", async () => {
    const [a, b] = datasources.datasources.map(resolved);
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

  it('defines one InfluxDB datasource per tenant database, credentials from the environment', () => {
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources.map((d) => [d.type, d.jsonData.dbName])).toEqual([
      ['influxdb', 'iotwins_tenant-a'],
      ['influxdb', 'iotwins_tenant-b'],
    ]);
    const local = readLocalEnv();
    for (const datasource of datasources.datasources) {
      for (const placeholder of [datasource.url, datasource.secureJsonData.password]) {
        const name = /^\$\{([A-Z_]+)\}$/.exec(placeholder)?.[1];
        expect(name && local[name]).toBeTruthy();
      }
    }
  });

  it('has dashboards whose every panel uses a provisioned datasource and an InfluxQL query', () => {
    const uids = new Set(datasources.datasources.map((d) => d.uid));
    expect(dashboards.length).toBeGreaterThan(0);
    for (const dashboard of dashboards) {
      expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
      for (const panel of dashboard.panels) {
        expect(uids.has(panel.datasource.uid)).toBe(true);
        for (const target of panel.targets) expect(target.query).toMatch(/^(SELECT|SHOW) /);
      }
    }
  });

  it('has panel queries that the real InfluxDB accepts, once Grafana fills in its macros', async () => {
    const byUid = new Map(datasources.datasources.map((d) => [d.uid, resolved(d)]));
    for (const panel of dashboards.flatMap((dashboard) => dashboard.panels)) {
      const datasource = byUid.get(panel.datasource.uid)!;
      for (const target of panel.targets) {
        const query = target.query
          .replace(/\$timeFilter/g, 'time > now() - 1h')
          .replace(/\$__interval/g, '10s')
          .replace(/\$turbine/g, '.*');
        const result = JSON.parse(await influxQuery(datasource, query, datasource.db)) as {
          error?: string;
          results?: { error?: string }[];
        };
        const error = result.error ?? result.results?.[0]?.error;
        // A tenant that has not written yet has no database; any other error is the query's.
        if (error !== undefined) expect(`${panel.title}: ${error}`).toMatch(/database not found/);
      }
    }
  });

  it('is provided to the dashboard provider path that docker-compose mounts', () => {
    const provider = parse(
      readFileSync(resolve(root, 'provisioning/dashboards/iotwins.yaml'), 'utf8'),
    ) as {
      providers: { options: { path: string } }[];
    };
    const compose = readFileSync(resolve(repoRoot, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(`./deploy/grafana/dashboards:${provider.providers[0]!.options.path}`);
  });
});
