import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '@iotwins/testing';

/**
 * docker-compose.yml is the second way to start the platform; it must start what
 * scripts/services.sh starts: the same server versions, the same ports and credentials from
 * deploy/local/local.env, healthchecks that gate the apps, and no password of its own.
 */
interface Service {
  image?: string;
  build?: { dockerfile?: string; target?: string; args?: Record<string, string> };
  environment?: Record<string, string | number>;
  ports?: string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}
const composeText = readFileSync(resolve(repoRoot, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const localEnv = Object.fromEntries(
  readFileSync(resolve(repoRoot, 'deploy/local/local.env'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);
const scripts = readdirSync(resolve(repoRoot, 'scripts'))
  .filter((file) => file.endsWith('.sh'))
  .map((file) => readFileSync(resolve(repoRoot, 'scripts', file), 'utf8'));
const servicesScript = readFileSync(resolve(repoRoot, 'scripts/services.sh'), 'utf8');
/** A version pinned in the repo's scripts, e.g. KEYCLOAK_VERSION=26.4.7; one value across them. */
function pinned(name: string): string {
  const values = new Set(
    scripts.flatMap((text) =>
      [...text.matchAll(new RegExp(`^${name}=(\\S+)$`, 'gm'))].map((m) => m[1]!),
    ),
  );
  if (values.size !== 1)
    throw new Error(`scripts/*.sh pin ${name} ${values.size} times differently: ${[...values]}`);
  return [...values][0]!;
}
const tagOf = (service: string): string => {
  const image = services[service]!.image!;
  return image.slice(image.lastIndexOf(':') + 1);
};
const APPS: Record<string, number> = {
  ingest: 3001,
  timeseries: 3002,
  objectstore: 3003,
  'model-registry': 3004,
  retrainer: 3005,
};
const SERVERS = [
  'nats',
  'influxdb',
  'postgres',
  'redis',
  'mosquitto',
  'minio',
  'ferretdb',
  'keycloak',
];

describe('docker-compose.yml against scripts/services.sh and deploy/local/local.env', () => {
  it('runs the servers services.sh runs, and the five apps', () => {
    const started = /^SERVERS=\(([^)]*)\)$/m.exec(servicesScript)![1]!.split(/\s+/);
    expect(started.sort()).toEqual([...SERVERS].sort());
    for (const name of [...SERVERS, ...Object.keys(APPS)])
      expect(Object.keys(services)).toContain(name);
  });

  it('pins the same server versions', () => {
    const bare = (version: string): string => version.replace(/^v/, '');
    expect(tagOf('nats')).toBe(`${bare(pinned('NATS_SERVER_VERSION'))}-alpine`);
    expect(tagOf('keycloak')).toBe(pinned('KEYCLOAK_VERSION'));
    expect(services.minio!.build?.args?.MINIO_VERSION).toBe(pinned('MINIO_VERSION'));
    expect(services.ferretdb!.build?.args?.FERRETDB_VERSION).toBe(pinned('FERRETDB_VERSION'));
    // PostgreSQL, Redis and Mosquitto come from Debian natively: the image tag names the same
    // release line as the server the script runs here.
    const pgBin = readdirSync('/usr/lib/postgresql').sort().at(-1)!;
    const native: Record<string, string> = {
      postgres: /PostgreSQL\) (\S+)/.exec(
        execFileSync(`/usr/lib/postgresql/${pgBin}/bin/postgres`, ['--version'], {
          encoding: 'utf8',
        }),
      )![1]!,
      redis: /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))![1]!,
      mosquitto: /version (\S+)/.exec(
        (() => {
          try {
            return execFileSync('mosquitto', ['-h'], { encoding: 'utf8' });
          } catch (error) {
            return String((error as { stdout?: string }).stdout);
          }
        })(),
      )![1]!,
    };
    for (const [service, version] of Object.entries(native)) {
      const tag = tagOf(service);
      expect([service, `${version}.`.startsWith(`${tag}.`)]).toEqual([service, true]);
    }
    for (const [name, service] of Object.entries(services)) {
      expect([name, service.image ?? '']).not.toEqual([
        name,
        expect.stringMatching(/:latest$|^[^:]*$/),
      ]);
    }
    // services.sh builds InfluxDB from its Go source at a pinned version (writer-engines work).
    expect(tagOf('influxdb')).toBe(bare(pinned('INFLUXDB_VERSION')));
  });

  it('publishes each server on the local.env port services.sh starts it on', () => {
    const ports: Record<string, [string, number][]> = {
      nats: [
        ['NATS_PORT', 4222],
        ['NATS_MONITOR_PORT', 8222],
        ['NATS_WS_PORT', 4223],
      ],
      influxdb: [['INFLUX_PORT', 8086]],
      postgres: [['POSTGRES_PORT', 5432]],
      redis: [['REDIS_PORT', 6379]],
      mosquitto: [['MQTT_PORT', 1883]],
      minio: [
        ['MINIO_PORT', 9000],
        ['MINIO_CONSOLE_PORT', 9001],
      ],
      ferretdb: [['MONGO_PORT', 27017]],
      keycloak: [
        ['KEYCLOAK_PORT', 8080],
        ['KEYCLOAK_MANAGEMENT_PORT', 9000],
      ],
    };
    for (const [service, expected] of Object.entries(ports)) {
      expect([service, services[service]!.ports]).toEqual([
        service,
        expected.map(([variable, port]) => `127.0.0.1:\${${variable}:?}:${port}`),
      ]);
      for (const [variable] of expected) {
        expect(localEnv[variable]).toMatch(/^\d+$/);
        expect([variable, servicesScript.includes(`$${variable}`)]).toEqual([variable, true]);
      }
    }
    for (const [app, port] of Object.entries(APPS)) {
      const published = [
        `127.0.0.1:${port}:${port}`,
        ...(app === 'ingest' ? ['127.0.0.1:50051:50051', '127.0.0.1:1884:1884'] : []),
      ];
      expect([app, services[app]!.ports]).toEqual([app, published]);
      expect(String(services[app]!.environment!.PORT)).toBe(String(port));
    }
    expect(String(services.ingest!.environment!.GRPC_PORT)).toBe('50051');
    // Ingest's own MQTT endpoint (PUBACK once stored), on the port gateways are told of.
    expect(String(services.ingest!.environment!.MQTT_SERVER_ENABLED)).toBe('true');
    expect(String(services.ingest!.environment!.MQTT_SERVER_PORT)).toBe('1884');
  });

  it('takes every credential from local.env variables, with no default', () => {
    const references = [...composeText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}/g)];
    expect(references.length).toBeGreaterThan(20);
    for (const [text, variable, rest] of references) {
      // `:?` (optionally with a message): compose refuses to start without the variable.
      expect([text, rest]).toEqual([text, expect.stringMatching(/^:\?/)]);
      expect([variable, localEnv[variable!] !== undefined]).toEqual([variable, true]);
    }
    // A value that is a secret is always a reference, never written into the file.
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|ACCESS_KEY|_USER$|ROOT_USER/.test(key) && key !== 'NATS_USER') {
          expect([name, key, String(value)]).toEqual([
            name,
            key,
            expect.stringMatching(/^\$\{[A-Z0-9_]+:\?[^}]*\}$/),
          ]);
        }
        if (/_URL$/.test(key)) {
          // Credentials inside a URL are references too: without them, nothing is left.
          const literal = String(value).replace(/\$\{[^}]*\}/g, '');
          expect([name, key, /:\/\/[^/@]*:[^/@]+@/.test(literal)]).toEqual([name, key, false]);
        }
      }
    }
    // The servers get the credentials services.sh gives them.
    const same: [string, string, string][] = [
      ['influxdb', 'INFLUXDB_ADMIN_USER', 'INFLUX_USER'],
      ['influxdb', 'INFLUXDB_ADMIN_PASSWORD', 'INFLUX_PASSWORD'],
      ['postgres', 'POSTGRES_USER', 'POSTGRES_USER'],
      ['postgres', 'POSTGRES_PASSWORD', 'POSTGRES_PASSWORD'],
      ['redis', 'REDIS_PASSWORD', 'REDIS_PASSWORD'],
      ['mosquitto', 'MQTT_PASSWORD', 'MQTT_PASSWORD'],
      ['minio', 'MINIO_ROOT_USER', 'S3_ACCESS_KEY'],
      ['minio', 'MINIO_ROOT_PASSWORD', 'S3_SECRET_KEY'],
      ['minio', 'MINIO_NOTIFY_NATS_PASSWORD_IOTWINS', 'NATS_MINIO_PASSWORD'],
      ['keycloak', 'KC_BOOTSTRAP_ADMIN_PASSWORD', 'KEYCLOAK_ADMIN_PASSWORD'],
    ];
    for (const [service, key, variable] of same) {
      expect([service, key, services[service]!.environment![key]]).toEqual([
        service,
        key,
        `\${${variable}:?}`,
      ]);
      expect([variable, servicesScript.includes(`$${variable}`)]).toEqual([variable, true]);
    }
    // Ingest seals connector secrets with a key of local.env's: 32 bytes, as the app demands.
    expect(services.ingest!.environment!.CONNECTORS_SECRET_KEY).toBe('${CONNECTORS_SECRET_KEY:?}');
    expect(Buffer.from(localEnv.CONNECTORS_SECRET_KEY!, 'base64')).toHaveLength(32);
    for (const app of Object.keys(APPS).filter((name) => name !== 'ingest')) {
      expect([app, services[app]!.environment!.CONNECTORS_SECRET_KEY]).toEqual([app, undefined]);
    }
    for (const app of Object.keys(APPS)) {
      const environment = services[app]!.environment!;
      expect(environment.NATS_USER).toBe(app);
      expect(environment.NATS_PASSWORD).toBe(
        `\${NATS_${app.toUpperCase().replace(/-/g, '_')}_PASSWORD:?}`,
      );
    }
  });

  it('checks the health of every service and starts nothing before what it needs is healthy', () => {
    // One-shot jobs (restart: 'no', such as a provisioning step) have no health: what
    // depends on them waits for their successful completion instead.
    const jobs = new Set(
      Object.entries(services)
        .filter(([, service]) => service.restart === 'no')
        .map(([name]) => name),
    );
    for (const [name, service] of Object.entries(services)) {
      if (!jobs.has(name)) {
        expect([
          name,
          Array.isArray(service.healthcheck?.test) && service.healthcheck!.test.length > 1,
        ]).toEqual([name, true]);
      }
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const expected = jobs.has(dependency)
          ? 'service_completed_successfully'
          : 'service_healthy';
        expect([name, dependency, condition]).toEqual([name, dependency, expected]);
      }
    }
    const needs: Record<string, string[]> = {
      ingest: ['nats', 'keycloak', 'redis', 'mosquitto'],
      timeseries: ['nats', 'keycloak', 'influxdb'],
      objectstore: ['nats', 'keycloak', 'minio'],
      'model-registry': ['nats', 'keycloak', 'minio', 'ferretdb'],
      retrainer: ['nats', 'keycloak', 'postgres'],
      ferretdb: ['postgres'],
      minio: ['nats'],
    };
    for (const [name, dependencies] of Object.entries(needs)) {
      // A job that runs before an app (NATS provisioning) stands in for the servers it needs.
      const actual = Object.keys(services[name]!.depends_on ?? {}).flatMap((dependency) =>
        jobs.has(dependency) ? Object.keys(services[dependency]!.depends_on ?? {}) : [dependency],
      );
      expect([name, [...new Set(actual)].sort()]).toEqual([name, [...dependencies].sort()]);
    }
  });

  it('names a presigned-URL endpoint the host reaches', () => {
    expect(services.objectstore!.environment!.S3_PUBLIC_ENDPOINT).toBe(
      'http://127.0.0.1:${MINIO_PORT:?}',
    );
    expect(services.minio!.ports).toContain('127.0.0.1:${MINIO_PORT:?}:9000');
  });

  it('builds the apps on a Node LTS, in stages, with production dependencies, as non-root, with a HEALTHCHECK', () => {
    const dockerfile = readFileSync(resolve(repoRoot, 'deploy/docker/Dockerfile'), 'utf8');
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)![1]!;
    expect(image).toMatch(/^node:(22|24)[-.]/);
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages.every((stage) => stage.startsWith('${NODE_IMAGE}'))).toBe(true);
    expect(stages[0]).toContain('pnpm install --prod');
    const final = stages.at(-1)!;
    expect(/^USER (\S+)$/m.exec(final)?.[1]).toBe('node');
    expect(final).toMatch(/^HEALTHCHECK .*\/health\/live/ms);
    expect(final).toContain('COPY --from=build /out /app');
  });
});
