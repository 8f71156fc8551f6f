import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { readLocalEnv, repoRoot } from '@iotwins/testing';

/**
 * Grafana cannot be installed here, so its provisioning is checked as Grafana reads it: the
 * files parse, every panel names a provisioned datasource, and the datasources point at the
 * tenant databases the timeseries app creates.
 */
const root = resolve(repoRoot, 'deploy/grafana');

interface Datasource {
  name: string;
  uid: string;
  type: string;
  url: string;
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
    const env = readLocalEnv();
    const auth = `Basic ${Buffer.from(`${env.INFLUX_USER}:${env.INFLUX_PASSWORD}`).toString('base64')}`;
    for (const panel of dashboards.flatMap((dashboard) => dashboard.panels)) {
      for (const target of panel.targets) {
        const query = target.query
          .replace(/\$timeFilter/g, 'time > now() - 1h')
          .replace(/\$__interval/g, '10s')
          .replace(/\$turbine/g, '.*');
        const body = new URLSearchParams({ q: query, db: 'iotwins_tenant-a' });
        const response = await fetch(`${env.INFLUX_URL}/query`, {
          method: 'POST',
          body,
          headers: { authorization: auth },
        });
        const result = (await response.json()) as {
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
