import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '@iotwins/testing';
import {
  APPS,
  HELM_DIR,
  PRODUCTION_VALUES,
  UMBRELLA,
  appChart,
  buildDependencies,
  manifests,
  productionValuesFor,
  refusal,
  scratch,
  template,
  tool,
  type App,
  type Manifest,
} from './helm-chart.fixture';

/**
 * The charts as a Kubernetes operator meets them: linted strictly, rendered with the defaults
 * and with the production-like values kept in the repo, every object validated offline
 * against the Kubernetes schemas, and the rendered workloads checked for what a cluster's
 * admission policies and an on-call engineer expect. Helm 4 is the tool of every script;
 * the charts must work with Helm 3 as well.
 */
const PORTS: Record<App, number> = {
  ingest: 3001,
  timeseries: 3002,
  objectstore: 3003,
  'model-registry': 3004,
  retrainer: 3005,
};
// Variables that hold a secret: passwords, keys, and connection URLs with credentials.
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|ACCESS_KEY|^(REDIS|MONGO|POSTGRES)_URL$/;

interface Container {
  name: string;
  image: string;
  command?: string[];
  ports: { name: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string } }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef: { name: string; key: string } };
  }[];
  startupProbe?: { httpGet: { path: string; port: string } };
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
  resources?: { requests?: { cpu?: string; memory?: string }; limits?: { memory?: string } };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: Record<string, unknown> & { seccompProfile?: { type: string } };
  containers: Container[];
}
const podOf = (deployment: Manifest): { labels: Record<string, string>; spec: PodSpec } => {
  const template = (
    deployment.spec as { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }
  ).template;
  return { labels: template.metadata.labels, spec: template.spec };
};
const byKind = (objects: Manifest[], kind: string): Manifest[] =>
  objects.filter((m) => m.kind === kind);
const named = (objects: Manifest[], kind: string, name: string): Manifest | undefined =>
  objects.find((m) => m.kind === kind && m.metadata.name === name);

/** Values beside the production file: a NodePort for MQTT, one app with a token of its own. */
const VARIANTS = [
  'ingest.mqttServer.service.enabled=true',
  'ingest.mqttServer.service.type=NodePort',
  'ingest.mqttServer.service.nodePort=31884',
  'ingest.connectors.secretKeySecret.name=iotwins-connectors',
  'global.metrics.tokenSecret.name=iotwins-metrics',
  'timeseries.metrics.tokenSecret.name=timeseries-metrics',
  'timeseries.metrics.tokenSecret.key=scrape',
  'timeseries.serviceMonitor.enabled=true',
];

let helm: string;
let helm3: string;
let kubectlValidate: string;
/** The Prometheus operator's own ServiceMonitor CRD, so kubectl-validate checks those too. */
let prometheusOperatorCrds: string;
/** Every chart, rendered by Helm 4 with defaults and with the production values. */
const renders: { name: string; yaml: string; objects: Manifest[] }[] = [];

beforeAll(() => {
  helm = tool('helm');
  helm3 = tool('helm3');
  kubectlValidate = tool('kubectl-validate');
  prometheusOperatorCrds = tool('prometheus-operator-crds');
  buildDependencies();
  const add = (name: string, yaml: string): void => {
    renders.push({ name, yaml, objects: manifests(yaml) });
  };
  add('iotwins (defaults)', template(helm, UMBRELLA));
  add('iotwins (production)', template(helm, UMBRELLA, { values: [PRODUCTION_VALUES] }));
  for (const app of APPS) {
    add(`iotwins-${app} (defaults)`, template(helm, appChart(app), { release: app }));
    add(
      `iotwins-${app} (production)`,
      template(helm, appChart(app), { release: app, values: [productionValuesFor(app)] }),
    );
  }
  // The other shapes of the MQTT Service and the metrics token, validated like the rest.
  add('iotwins (variants)', template(helm, UMBRELLA, { sets: VARIANTS }));
}, 900_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the charts under deploy/helm', () => {
  it('pass helm lint --strict with Helm 4 and Helm 3, with defaults and production values', () => {
    for (const binary of [helm, helm3]) {
      const charts = [resolve(HELM_DIR, 'iotwins-lib'), UMBRELLA, ...APPS.map(appChart)];
      expect(execFileSync(binary, ['lint', '--strict', ...charts], { encoding: 'utf8' })).toContain(
        `${charts.length} chart(s) linted, 0 chart(s) failed`,
      );
      expect(
        execFileSync(binary, ['lint', '--strict', UMBRELLA, '-f', PRODUCTION_VALUES], {
          encoding: 'utf8',
        }),
      ).toContain('0 chart(s) failed');
      for (const app of APPS) {
        expect(
          execFileSync(
            binary,
            ['lint', '--strict', appChart(app), '-f', productionValuesFor(app)],
            {
              encoding: 'utf8',
            },
          ),
        ).toContain('0 chart(s) failed');
      }
    }
  });

  it('render the same objects with Helm 3 as with Helm 4', () => {
    const identity = (objects: Manifest[]): string[] =>
      objects.map((m) => `${m.kind}/${m.metadata.name}`).sort();
    expect(identity(manifests(template(helm3, UMBRELLA, { values: [PRODUCTION_VALUES] })))).toEqual(
      identity(renders[1]!.objects),
    );
    expect(identity(manifests(template(helm3, UMBRELLA)))).toEqual(identity(renders[0]!.objects));
  });

  it('render only objects valid against the Kubernetes schemas (kubectl-validate, offline)', () => {
    // ServiceMonitor is a CRD of the Prometheus operator, unknown to the built-in schemas: it
    // is validated against the operator's own CRD (its field names, e.g. `authorization`).
    const dir = join(scratch, 'validate');
    mkdirSync(dir, { recursive: true });
    let files = 0;
    let monitors = 0;
    for (const [index, render] of renders.entries()) {
      for (const [objectIndex, object] of render.objects.entries()) {
        if (object.kind === 'ServiceMonitor') monitors += 1;
        writeFileSync(join(dir, `${index}-${objectIndex}.json`), JSON.stringify(object));
        files += 1;
      }
    }
    // Production (umbrella and each app alone) and the variants render ServiceMonitors.
    expect(monitors).toBeGreaterThanOrEqual(11);
    let output: string;
    try {
      output = execFileSync(
        kubectlValidate,
        [dir, '--version', '1.30', '--local-crds', prometheusOperatorCrds, '--output', 'json'],
        { encoding: 'utf8' },
      );
    } catch (error) {
      throw new Error(
        `kubectl-validate refused objects:\n${(error as { stdout?: string }).stdout ?? error}`,
      );
    }
    // One entry per file, each a list of its documents' results.
    const results = JSON.parse(output) as Record<string, { status: string; message?: string }[]>;
    expect(Object.keys(results)).toHaveLength(files);
    const failures = Object.entries(results).flatMap(([file, documents]) =>
      documents.filter((result) => result.status !== 'Success').map((result) => [file, result]),
    );
    expect(failures).toEqual([]);
    expect(Object.values(results).flat()).toHaveLength(files);
  });

  it('probe every container on the health endpoints: startup, liveness, readiness', () => {
    for (const render of renders) {
      for (const deployment of byKind(render.objects, 'Deployment')) {
        for (const container of podOf(deployment).spec.containers) {
          expect([render.name, container.startupProbe?.httpGet]).toEqual([
            render.name,
            { path: '/health/live', port: 'http' },
          ]);
          expect(container.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
          expect(container.readinessProbe?.httpGet).toEqual({
            path: '/health/ready',
            port: 'http',
          });
        }
      }
    }
  });

  it('give every container resources and a locked-down security context', () => {
    for (const render of renders) {
      for (const deployment of byKind(render.objects, 'Deployment')) {
        const pod = podOf(deployment).spec;
        expect(pod.securityContext).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(pod.automountServiceAccountToken).toBe(false);
        const account = named(render.objects, 'ServiceAccount', pod.serviceAccountName ?? '');
        expect([deployment.metadata.name, account?.automountServiceAccountToken]).toEqual([
          deployment.metadata.name,
          false,
        ]);
        for (const container of pod.containers) {
          expect(container.resources?.requests?.cpu).toBeTruthy();
          expect(container.resources?.requests?.memory).toBeTruthy();
          expect(container.resources?.limits?.memory).toBeTruthy();
          expect(container.securityContext).toMatchObject({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            privileged: false,
            seccompProfile: { type: 'RuntimeDefault' },
          });
          expect(container.securityContext?.capabilities?.drop).toEqual(['ALL']);
        }
      }
    }
  });

  it('keep secrets out of ConfigMaps and take them only from Secret references', () => {
    for (const render of renders) {
      for (const configMap of byKind(render.objects, 'ConfigMap')) {
        for (const [key, value] of Object.entries(configMap.data ?? {})) {
          expect([configMap.metadata.name, key, SECRET_NAME.test(key)]).toEqual([
            configMap.metadata.name,
            key,
            false,
          ]);
          // No credentials inside a URL either (scheme://user:password@host).
          expect([key, /:\/\/[^/@\s]+:[^/@\s]+@/.test(value)]).toEqual([key, false]);
        }
      }
      for (const deployment of byKind(render.objects, 'Deployment')) {
        for (const container of podOf(deployment).spec.containers) {
          for (const variable of container.env ?? []) {
            expect(variable.value).toBeUndefined();
            expect(variable.valueFrom?.secretKeyRef.name).toBeTruthy();
            expect(variable.valueFrom?.secretKeyRef.key).toBeTruthy();
          }
          const secrets = (container.env ?? []).map((variable) => variable.name);
          expect(secrets).toContain('NATS_PASSWORD');
        }
      }
    }
  });

  it("reach every container port through a Service, ingest's gRPC 50051 and MQTT 1884 included", () => {
    for (const render of renders) {
      for (const deployment of byKind(render.objects, 'Deployment')) {
        const pod = podOf(deployment);
        const services = byKind(render.objects, 'Service').filter((service) => {
          const selector = (service.spec as { selector: Record<string, string> }).selector;
          return Object.entries(selector).every(([key, value]) => pod.labels[key] === value);
        });
        for (const port of pod.spec.containers.flatMap((container) => container.ports)) {
          const reachable = services.some((service) =>
            (service.spec as { ports: { targetPort: string | number }[] }).ports.some(
              (servicePort) =>
                servicePort.targetPort === port.name ||
                servicePort.targetPort === port.containerPort,
            ),
          );
          expect([render.name, deployment.metadata.name, port.name, reachable]).toEqual([
            render.name,
            deployment.metadata.name,
            port.name,
            true,
          ]);
        }
      }
    }
    const objects = renders[0]!.objects;
    const ingest = podOf(named(objects, 'Deployment', 'demo-ingest')!).spec.containers[0]!;
    expect(ingest.ports).toEqual([
      { name: 'http', containerPort: 3001, protocol: 'TCP' },
      { name: 'grpc', containerPort: 50051, protocol: 'TCP' },
      { name: 'mqtt', containerPort: 1884, protocol: 'TCP' },
    ]);
    const service = named(objects, 'Service', 'demo-ingest')!.spec as {
      ports: { name: string; port: number }[];
    };
    expect(service.ports.map((port) => [port.name, port.port])).toEqual([
      ['http', 3001],
      ['grpc', 50051],
      ['mqtt', 1884],
    ]);
  });

  it('install all five apps from the umbrella, on their ports and images', () => {
    const objects = renders[0]!.objects;
    for (const app of APPS) {
      const container = podOf(named(objects, 'Deployment', `demo-${app}`)!).spec.containers[0]!;
      expect(container.image).toBe(`harbor.example.org/iotwins/${app}:0.1.0`);
      expect(container.ports[0]).toMatchObject({ name: 'http', containerPort: PORTS[app] });
      const config = named(objects, 'ConfigMap', `demo-${app}`)!.data!;
      expect(config).toMatchObject({
        PORT: String(PORTS[app]),
        NATS_USER: app,
        NATS_URL: 'nats://nats:4222',
      });
    }
  });

  it('install each app on its own, named after the release', () => {
    for (const app of APPS) {
      const objects = renders.find(
        (render) => render.name === `iotwins-${app} (defaults)`,
      )!.objects;
      expect(byKind(objects, 'Deployment').map((m) => m.metadata.name)).toEqual([app]);
      expect(byKind(objects, 'Service').map((m) => m.metadata.name)).toEqual([app]);
      const other = template(helm, appChart(app), { release: 'edge' });
      expect(manifests(other).find((m) => m.kind === 'Deployment')?.metadata.name).toBe(
        `edge-${app}`,
      );
    }
  });

  it('keep Ingress, HPA, PDB, ServiceMonitor and NetworkPolicy off by default', () => {
    const kinds = new Set(renders[0]!.objects.map((m) => m.kind));
    // The Job is the umbrella's NATS provisioning hook.
    expect([...kinds].sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Job',
      'Service',
      'ServiceAccount',
    ]);
    const objects = renders[0]!.objects;
    for (const deployment of byKind(objects, 'Deployment')) {
      const annotations = (
        deployment.spec as { template: { metadata: { annotations: Record<string, string> } } }
      ).template.metadata.annotations;
      expect(annotations['prometheus.io/path']).toBe('/metrics');
    }
  });

  it('render the production companions: Ingress per app and gRPC, HPA, PDB, ServiceMonitor', () => {
    const objects = renders[1]!.objects;
    const services = byKind(objects, 'Service');
    const servicePort = (name: string, port: string): boolean =>
      services.some(
        (service) =>
          service.metadata.name === name &&
          (service.spec as { ports: { name: string }[] }).ports.some((p) => p.name === port),
      );
    for (const app of APPS) {
      const ingress = named(objects, 'Ingress', `demo-${app}`)!.spec as {
        rules: {
          http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] };
        }[];
      };
      const backend = ingress.rules[0]!.http.paths[0]!.backend.service;
      expect(servicePort(backend.name, backend.port.name)).toBe(true);
      expect(named(objects, 'PodDisruptionBudget', `demo-${app}`)).toBeDefined();
      const monitor = named(objects, 'ServiceMonitor', `demo-${app}`)!;
      expect(monitor.spec).toMatchObject({
        selector: {
          matchLabels: { 'app.kubernetes.io/name': app, 'app.kubernetes.io/instance': 'demo' },
        },
        endpoints: [{ port: 'http', path: '/metrics' }],
      });
      expect(monitor.metadata.labels?.release).toBe('prometheus');
    }
    const grpc = named(objects, 'Ingress', 'demo-ingest-grpc')!;
    expect(grpc.metadata).toMatchObject({
      annotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' },
    });
    expect(grpc.spec).toMatchObject({
      tls: [{ secretName: 'ingest-grpc-tls', hosts: ['ingest-grpc.example.org'] }],
      rules: [
        {
          host: 'ingest-grpc.example.org',
          http: {
            paths: [{ backend: { service: { name: 'demo-ingest', port: { name: 'grpc' } } } }],
          },
        },
      ],
    });
    expect(
      byKind(objects, 'HorizontalPodAutoscaler')
        .map((m) => m.metadata.name)
        .sort(),
    ).toEqual(['demo-ingest', 'demo-timeseries']);
    // An autoscaled Deployment leaves its replica count to the HPA.
    expect(
      (named(objects, 'Deployment', 'demo-ingest')!.spec as { replicas?: number }).replicas,
    ).toBeUndefined();
    expect(
      (named(objects, 'Deployment', 'demo-retrainer')!.spec as { replicas?: number }).replicas,
    ).toBe(2);
  });

  it('let apps reach only DNS and their backing servers; InfluxDB only from timeseries', () => {
    const objects = renders[1]!.objects;
    const policies = byKind(objects, 'NetworkPolicy');
    const egressPorts = (name: string): number[] =>
      (
        named(objects, 'NetworkPolicy', name)!.spec as { egress: { ports: { port: number }[] }[] }
      ).egress
        .flatMap((rule) => rule.ports.map((port) => port.port))
        .filter((port) => port !== 53)
        .sort((a, b) => a - b);
    expect(egressPorts('demo-ingest')).toEqual([4222, 6379, 8080, 8883]);
    expect(egressPorts('demo-timeseries')).toEqual([4222, 8080, 8086]);
    expect(egressPorts('demo-objectstore')).toEqual([4222, 8080, 9000]);
    expect(egressPorts('demo-model-registry')).toEqual([4222, 8080, 9000, 27017]);
    expect(egressPorts('demo-retrainer')).toEqual([4222, 5432, 8080]);
    // Ingest's file connectors also reach MinIO and InfluxDB (as tenant readers).
    const withFiles = manifests(
      template(helm, UMBRELLA, {
        values: [PRODUCTION_VALUES],
        sets: ['ingest.connectors.files.enabled=true'],
      }),
    );
    const filesEgress = (
      named(withFiles, 'NetworkPolicy', 'demo-ingest')!.spec as {
        egress: { ports: { port: number }[] }[];
      }
    ).egress
      .flatMap((rule) => rule.ports.map((port) => port.port))
      .filter((port) => port !== 53)
      .sort((a, b) => a - b);
    expect(filesEgress).toEqual([4222, 6379, 8080, 8086, 8883, 9000]);
    const influx = policies.filter((policy) => {
      const selector = (policy.spec as { podSelector: { matchLabels: Record<string, string> } })
        .podSelector;
      return selector.matchLabels['app.kubernetes.io/name'] === 'influxdb';
    });
    expect(influx.map((policy) => policy.metadata.name)).toEqual(['demo-timeseries-influxdb-only']);
    expect(influx[0]!.spec).toMatchObject({
      policyTypes: ['Ingress'],
      ingress: [
        {
          ports: [{ port: 8086, protocol: 'TCP' }],
          from: [
            {
              podSelector: {
                matchLabels: {
                  'app.kubernetes.io/name': 'timeseries',
                  'app.kubernetes.io/instance': 'demo',
                },
              },
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'iotwins' } },
            },
            // The readers named in the values (Grafana), and nothing else.
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'grafana' } },
            },
          ],
        },
      ],
    });
  });

  it('provision NATS with the operator login in a hook Job before the apps', () => {
    const jobOf = (objects: Manifest[]): Manifest | undefined =>
      named(objects, 'Job', 'demo-nats-provision');
    // As an operator writes it in a values file (--set would make the number a number).
    const values = join(scratch, 'nats-provision.yaml');
    mkdirSync(scratch, { recursive: true });
    writeFileSync(
      values,
      "natsProvision:\n  tenants: tenant-a,tenant-b\n  env: { TENANT_STREAM_MAX_AGE_SECONDS: '3600' }\n",
    );
    const job = jobOf(manifests(template(helm, UMBRELLA, { values: [values] })))!;
    const annotations = (job.metadata as { annotations?: Record<string, string> }).annotations;
    expect(annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const pod = (job.spec as { template: { spec: PodSpec } }).template.spec;
    const container = pod.containers[0]!;
    expect(container.command).toEqual(['node', '/app/libs/messaging/dist/provision.main.js']);
    expect(container.image).toBe('harbor.example.org/iotwins/ingest:0.1.0');
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    const env = Object.fromEntries(container.env!.map((e) => [e.name, e]));
    expect(env.NATS_URL?.value).toBe('nats://nats:4222');
    expect(env.NATS_OPERATOR_USER?.value).toBe('dev');
    expect(env.NATS_TENANTS?.value).toBe('tenant-a,tenant-b');
    expect(env.TENANT_STREAM_MAX_AGE_SECONDS?.value).toBe('3600');
    // The operator's password only ever comes from a Secret.
    expect(env.NATS_OPERATOR_PASSWORD?.value).toBeUndefined();
    expect(env.NATS_OPERATOR_PASSWORD?.valueFrom?.secretKeyRef).toEqual({
      name: 'iotwins-nats',
      key: 'operator',
    });
    // The streams' replicas: one by default (a single NATS server), 3 in production.
    const replicas = (objects: Manifest[]): string | undefined =>
      (
        jobOf(objects)!.spec as { template: { spec: PodSpec } }
      ).template.spec.containers[0]!.env!.find((e) => e.name === 'TELEMETRY_STREAM_REPLICAS')
        ?.value;
    expect(replicas(renders[0]!.objects)).toBe('1');
    expect(replicas(renders[1]!.objects)).toBe('3');
    // The apps no longer make streams, so they are not told how.
    for (const app of APPS) {
      expect(named(renders[1]!.objects, 'ConfigMap', `demo-${app}`)!.data).not.toHaveProperty(
        'TELEMETRY_STREAM_REPLICAS',
      );
    }
    expect(
      jobOf(manifests(template(helm, UMBRELLA, { sets: ['natsProvision.enabled=false'] }))),
    ).toBeUndefined();
    // It runs the image the ingest app runs, pinned digest included.
    const digest = `sha256:${'b'.repeat(64)}`;
    const pinned = jobOf(
      manifests(template(helm, UMBRELLA, { sets: [`ingest.image.digest=${digest}`] })),
    )!.spec as { template: { spec: PodSpec } };
    expect(pinned.template.spec.containers[0]!.image).toBe(
      `harbor.example.org/iotwins/ingest@${digest}`,
    );
    expect(refusal(helm, UMBRELLA, 'natsProvision.env.NATS_OPERATOR_PASSWORD=plain')).toMatch(
      /NATS_OPERATOR_PASSWORD/,
    );
  });

  it('give ingest the auth callout signing seed from a Secret, and only ingest', () => {
    const envOf = (objects: Manifest[], app: App): Container['env'] =>
      podOf(named(objects, 'Deployment', `demo-${app}`)!).spec.containers[0]!.env;
    const seed = (objects: Manifest[], app: App) =>
      envOf(objects, app)?.find((e) => e.name === 'NATS_AUTH_CALLOUT_ISSUER_SEED');
    expect(seed(renders[0]!.objects, 'ingest')?.valueFrom?.secretKeyRef).toEqual({
      name: 'iotwins-nats',
      key: 'callout-issuer-seed',
    });
    for (const app of APPS.filter((a) => a !== 'ingest')) {
      expect(seed(renders[0]!.objects, app)).toBeUndefined();
    }
    const off = manifests(
      template(helm, UMBRELLA, { sets: ['ingest.nats.calloutIssuerSeedSecret.name='] }),
    );
    expect(seed(off, 'ingest')).toBeUndefined();
  });

  it('take the NATS user, endpoints and secret references from the values', () => {
    const objects = manifests(
      template(helm, UMBRELLA, {
        sets: [
          'ingest.nats.user=edge-ingest',
          'ingest.nats.passwordSecret.name=nats-logins',
          'ingest.nats.passwordSecret.key=edge-ingest',
          'global.s3.publicEndpoint=https://s3.example.org',
          'global.nats.url=tls://nats.nats.svc:4222',
          'timeseries.nats.credsSecret.name=timeseries-nats-creds',
        ],
      }),
    );
    const ingest = named(objects, 'ConfigMap', 'demo-ingest')!.data!;
    expect(ingest).toMatchObject({
      NATS_USER: 'edge-ingest',
      NATS_URL: 'tls://nats.nats.svc:4222',
    });
    const ingestEnv = podOf(named(objects, 'Deployment', 'demo-ingest')!).spec.containers[0]!.env!;
    expect(ingestEnv.find((e) => e.name === 'NATS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
      name: 'nats-logins',
      key: 'edge-ingest',
    });
    expect(named(objects, 'ConfigMap', 'demo-objectstore')!.data!.S3_PUBLIC_ENDPOINT).toBe(
      'https://s3.example.org',
    );
    // A creds file replaces the password: mounted from its Secret, named by NATS_CREDS_FILE.
    const timeseries = podOf(named(objects, 'Deployment', 'demo-timeseries')!).spec as PodSpec & {
      volumes: { name: string; secret?: { secretName: string } }[];
    };
    expect(named(objects, 'ConfigMap', 'demo-timeseries')!.data!.NATS_CREDS_FILE).toBe(
      '/etc/iotwins/nats/nats.creds',
    );
    expect(timeseries.containers[0]!.env!.map((e) => e.name)).not.toContain('NATS_PASSWORD');
    expect(timeseries.volumes.find((v) => v.name === 'nats-creds')?.secret?.secretName).toBe(
      'timeseries-nats-creds',
    );
  });

  it('refuse unknown keys and bad values with a message naming them', () => {
    expect(refusal(helm, UMBRELLA, 'ingres.enabled=true')).toMatch(/additional propert.*'ingres'/);
    expect(refusal(helm, UMBRELLA, 'podDisruptionBudget.enabled=true')).toMatch(
      /'podDisruptionBudget'/,
    );
    expect(refusal(helm, UMBRELLA, 'ingest.autoscaling.enable=true')).toMatch(/'enable'/);
    expect(refusal(helm, UMBRELLA, 'global.nats.replicas=3')).toMatch(/'replicas'/);
    expect(refusal(helm, appChart('timeseries'), 'networkPolicy.egress=x')).toMatch(/'egress'/);
    expect(refusal(helm3, UMBRELLA, 'ingres.enabled=true')).toMatch(/ingres/);
    expect(refusal(helm, UMBRELLA, 'ingest.replicaCount=-1')).toMatch(/replicaCount/);
    expect(refusal(helm, UMBRELLA, 'ingest.port=70000')).toMatch(/port/);
    expect(refusal(helm, UMBRELLA, 'unknown.enabled=true')).toMatch(/'unknown'/);
    // A secret in plain env would land in a ConfigMap; loosening the hardening is refused.
    expect(refusal(helm, UMBRELLA, 'ingest.env.REDIS_PASSWORD=x')).toMatch(/REDIS_PASSWORD/);
    expect(refusal(helm, UMBRELLA, 'ingest.securityContext.readOnlyRootFilesystem=false')).toMatch(
      /readOnlyRootFilesystem/,
    );
    expect(refusal(helm, UMBRELLA, 'global.nats.url=http://nats:4222')).toMatch(/url/);
  });

  it('close every object of the values schemas, and keep them generated from one source', () => {
    execFileSync('node', [resolve(repoRoot, 'scripts/helm-schema.js'), '--check'], {
      encoding: 'utf8',
    });
    const open: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const schema = node as Record<string, unknown>;
      if (schema.type === 'object' && schema.additionalProperties === undefined) open.push(path);
      if (schema.additionalProperties === true) open.push(path);
      for (const [key, value] of Object.entries(schema)) walk(value, `${path}/${key}`);
    };
    for (const chart of ['iotwins', ...APPS.map((app) => `iotwins-${app}`)]) {
      walk(JSON.parse(readFileSync(resolve(HELM_DIR, chart, 'values.schema.json'), 'utf8')), chart);
    }
    expect(open).toEqual([]);
  });

  it('version every chart as the repo, and share one set of global defaults', () => {
    const version = (
      JSON.parse(readFileSync(resolve(repoRoot, 'package.json'), 'utf8')) as { version: string }
    ).version;
    const umbrella = parse(readFileSync(resolve(UMBRELLA, 'values.yaml'), 'utf8')) as {
      global: unknown;
    };
    for (const chart of ['iotwins', 'iotwins-lib', ...APPS.map((app) => `iotwins-${app}`)]) {
      const meta = parse(readFileSync(resolve(HELM_DIR, chart, 'Chart.yaml'), 'utf8')) as {
        version: string;
        dependencies?: { version: string }[];
      };
      expect([chart, meta.version, ...(meta.dependencies ?? []).map((d) => d.version)]).toEqual([
        chart,
        version,
        ...(meta.dependencies ?? []).map(() => version),
      ]);
    }
    for (const app of APPS) {
      const values = parse(readFileSync(resolve(appChart(app), 'values.yaml'), 'utf8')) as {
        global: unknown;
      };
      expect([app, values.global]).toEqual([app, umbrella.global]);
    }
  });

  it("serve ingest's own MQTT endpoint: container and Service port, settings, NetworkPolicy", () => {
    interface ServiceSpec {
      type: string;
      externalTrafficPolicy?: string;
      loadBalancerSourceRanges?: string[];
      selector: Record<string, string>;
      ports: { name: string; port: number; targetPort: string; nodePort?: number }[];
    }
    interface PolicySpec {
      ingress: { ports: { port: string | number }[]; from?: unknown[] }[];
    }
    const ingestOf = (objects: Manifest[]) => ({
      config: named(objects, 'ConfigMap', 'demo-ingest')!.data!,
      container: podOf(named(objects, 'Deployment', 'demo-ingest')!).spec.containers[0]!,
      service: named(objects, 'Service', 'demo-ingest')!.spec as unknown as ServiceSpec,
      mqttService: named(objects, 'Service', 'demo-ingest-mqtt')?.spec as unknown as
        | ServiceSpec
        | undefined,
      policy: named(objects, 'NetworkPolicy', 'demo-ingest')?.spec as unknown as
        | PolicySpec
        | undefined,
    });
    // Defaults: on, port 1884, reachable in the cluster through the app's Service only.
    const defaults = ingestOf(renders[0]!.objects);
    expect(defaults.config).toMatchObject({
      MQTT_SERVER_ENABLED: 'true',
      MQTT_SERVER_PORT: '1884',
    });
    expect(defaults.container.ports).toContainEqual({
      name: 'mqtt',
      containerPort: 1884,
      protocol: 'TCP',
    });
    expect(defaults.service.ports).toContainEqual(
      expect.objectContaining({ name: 'mqtt', port: 1884, targetPort: 'mqtt', protocol: 'TCP' }),
    );
    expect(defaults.mqttService).toBeUndefined();
    // No other app serves MQTT.
    for (const app of APPS.filter((a) => a !== 'ingest')) {
      const pod = podOf(named(renders[0]!.objects, 'Deployment', `demo-${app}`)!).spec;
      expect([app, pod.containers[0]!.ports.map((port) => port.name)]).toEqual([app, ['http']]);
      expect(named(renders[0]!.objects, 'ConfigMap', `demo-${app}`)!.data).not.toHaveProperty(
        'MQTT_SERVER_PORT',
      );
    }

    // Production: a LoadBalancer of its own for the MQTT port only, gateways' network only.
    const production = ingestOf(renders[1]!.objects);
    expect(production.mqttService).toMatchObject({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      loadBalancerSourceRanges: ['10.30.0.0/16'],
      selector: { 'app.kubernetes.io/name': 'ingest', 'app.kubernetes.io/instance': 'demo' },
    });
    expect(production.mqttService!.ports).toEqual([
      { name: 'mqtt', port: 1884, targetPort: 'mqtt', protocol: 'TCP', appProtocol: 'mqtt' },
    ]);
    // The HTTP rule keeps its sources (the ingress controller, Prometheus); MQTT has its own.
    const rules = production.policy!.ingress;
    const ruleOf = (port: string) => rules.find((rule) => rule.ports.some((p) => p.port === port));
    expect(ruleOf('http')!.ports.map((p) => p.port)).toEqual(['http', 'grpc']);
    expect(ruleOf('mqtt')).toEqual({
      ports: [{ port: 'mqtt', protocol: 'TCP' }],
      from: [{ ipBlock: { cidr: '10.30.0.0/16' } }],
    });

    // A NodePort when asked, on the node port named.
    const variants = ingestOf(renders.find((r) => r.name === 'iotwins (variants)')!.objects);
    expect(variants.mqttService).toMatchObject({
      type: 'NodePort',
      externalTrafficPolicy: 'Cluster',
    });
    expect(variants.mqttService!.loadBalancerSourceRanges).toBeUndefined();
    expect(variants.mqttService!.ports).toEqual([
      expect.objectContaining({ name: 'mqtt', port: 1884, nodePort: 31884 }),
    ]);

    // Another port moves the container, both Services and the setting together; off removes it all.
    const moved = ingestOf(
      manifests(
        template(helm, UMBRELLA, {
          values: [PRODUCTION_VALUES],
          sets: ['ingest.mqttServer.port=8884', 'ingest.mqttServer.service.port=1883'],
        }),
      ),
    );
    expect(moved.config.MQTT_SERVER_PORT).toBe('8884');
    expect(moved.container.ports).toContainEqual({
      name: 'mqtt',
      containerPort: 8884,
      protocol: 'TCP',
    });
    expect(moved.service.ports).toContainEqual(
      expect.objectContaining({ name: 'mqtt', port: 8884 }),
    );
    expect(moved.mqttService!.ports[0]).toMatchObject({ port: 1883, targetPort: 'mqtt' });
    const off = ingestOf(
      manifests(
        template(helm, UMBRELLA, {
          values: [PRODUCTION_VALUES],
          sets: ['ingest.mqttServer.enabled=false'],
        }),
      ),
    );
    expect(off.config.MQTT_SERVER_ENABLED).toBe('false');
    expect(off.container.ports.map((port) => port.name)).toEqual(['http', 'grpc']);
    expect(off.service.ports.map((port) => port.name)).toEqual(['http', 'grpc']);
    expect(off.mqttService).toBeUndefined();
    expect(off.policy!.ingress.flatMap((rule) => rule.ports.map((p) => p.port))).toEqual([
      'http',
      'grpc',
    ]);
    // An Ingress cannot carry MQTT, and a ClusterIP would not expose it: both refused.
    expect(refusal(helm, UMBRELLA, 'ingest.mqttServer.service.type=ClusterIP')).toMatch(/type/);
    expect(refusal(helm, UMBRELLA, 'ingest.mqttServer.ingress.enabled=true')).toMatch(/'ingress'/);
    expect(refusal(helm, UMBRELLA, 'ingest.mqttServer.port=0')).toMatch(/port/);
  });

  it("give ingest its connectors' settings, and their sealing key only from a Secret", () => {
    const ingestOf = (objects: Manifest[]) => ({
      config: named(objects, 'ConfigMap', 'demo-ingest')!.data!,
      key: podOf(named(objects, 'Deployment', 'demo-ingest')!).spec.containers[0]!.env!.find(
        (variable) => variable.name === 'CONNECTORS_SECRET_KEY',
      ),
    });
    // Defaults: the runner on, a 15 s lease, and no key: connectors cannot hold secrets.
    const defaults = ingestOf(renders[0]!.objects);
    expect(defaults.config).toMatchObject({
      CONNECTORS_ENABLED: 'true',
      CONNECTORS_LEASE_SECONDS: '15',
    });
    expect(defaults.key).toBeUndefined();
    const production = ingestOf(renders[1]!.objects);
    expect(production.key?.valueFrom?.secretKeyRef).toEqual({
      name: 'iotwins-connectors',
      key: 'secretKey',
    });
    expect(production.config).not.toHaveProperty('CONNECTORS_SECRET_KEY');
    const changed = ingestOf(
      manifests(
        template(helm, UMBRELLA, {
          sets: ['ingest.connectors.enabled=false', 'ingest.connectors.leaseSeconds=30'],
        }),
      ),
    );
    expect(changed.config).toMatchObject({
      CONNECTORS_ENABLED: 'false',
      CONNECTORS_LEASE_SECONDS: '30',
    });
    // Only ingest runs connectors.
    for (const app of APPS.filter((a) => a !== 'ingest')) {
      const container = podOf(named(renders[1]!.objects, 'Deployment', `demo-${app}`)!).spec
        .containers[0]!;
      expect([app, container.env!.map((v) => v.name)]).not.toEqual([
        app,
        expect.arrayContaining(['CONNECTORS_SECRET_KEY']),
      ]);
      expect(named(renders[1]!.objects, 'ConfigMap', `demo-${app}`)!.data).not.toHaveProperty(
        'CONNECTORS_ENABLED',
      );
    }
    expect(refusal(helm, UMBRELLA, 'ingest.env.CONNECTORS_SECRET_KEY=plain')).toMatch(
      /CONNECTORS_SECRET_KEY/,
    );
    expect(refusal(helm, UMBRELLA, 'ingest.connectors.leaseSeconds=0')).toMatch(/leaseSeconds/);
    expect(refusal(helm, UMBRELLA, 'ingest.connectors.secretKeySecret.name=Not_A_Name')).toMatch(
      /secretKeySecret/,
    );
  });

  it('send METRICS_TOKEN from the Secret the app reads it from, and advertise no scrape it would refuse', () => {
    interface Endpoint {
      port: string;
      authorization?: { type: string; credentials: { name: string; key: string } };
    }
    const check = (
      objects: Manifest[],
      app: App,
    ): { env?: { name: string; key: string }; monitor?: Endpoint; annotations: string[] } => {
      const deployment = named(objects, 'Deployment', `demo-${app}`)!;
      const annotations = Object.keys(
        (deployment.spec as { template: { metadata: { annotations: Record<string, string> } } })
          .template.metadata.annotations,
      ).filter((key) => key.startsWith('prometheus.io/'));
      const env = podOf(deployment).spec.containers[0]!.env!.find(
        (variable) => variable.name === 'METRICS_TOKEN',
      )?.valueFrom?.secretKeyRef;
      const monitor = (
        named(objects, 'ServiceMonitor', `demo-${app}`)?.spec as
          | { endpoints: Endpoint[] }
          | undefined
      )?.endpoints[0];
      return { env, monitor, annotations };
    };
    for (const app of APPS) {
      // Defaults: no token, open /metrics, found through the annotations.
      const open = check(renders[0]!.objects, app);
      expect([app, open.env, open.annotations.sort()]).toEqual([
        app,
        undefined,
        ['prometheus.io/path', 'prometheus.io/port', 'prometheus.io/scrape'],
      ]);
      // Production: the global token, presented by the ServiceMonitor from the same Secret.
      const production = check(renders[1]!.objects, app);
      expect([app, production.env]).toEqual([app, { name: 'iotwins-metrics', key: 'token' }]);
      expect([app, production.monitor?.authorization]).toEqual([
        app,
        { type: 'Bearer', credentials: production.env },
      ]);
      expect([app, production.annotations]).toEqual([app, []]);
    }
    // An app's own Secret wins over the global one, in the environment and the monitor alike.
    const variants = renders.find((r) => r.name === 'iotwins (variants)')!.objects;
    const timeseries = check(variants, 'timeseries');
    expect(timeseries.env).toEqual({ name: 'timeseries-metrics', key: 'scrape' });
    expect(timeseries.monitor?.authorization?.credentials).toEqual(timeseries.env);
    // A token without a ServiceMonitor: no prometheus.io annotations that would be refused 401.
    const ingest = check(variants, 'ingest');
    expect(ingest.env).toEqual({ name: 'iotwins-metrics', key: 'token' });
    expect(ingest.monitor).toBeUndefined();
    expect(ingest.annotations).toEqual([]);
    // Installed alone, an app takes the token from its own values too.
    const alone = manifests(
      template(helm, appChart('retrainer'), {
        release: 'retrainer',
        sets: ['metrics.tokenSecret.name=retrainer-metrics', 'serviceMonitor.enabled=true'],
      }),
    );
    const monitor = (
      alone.find((m) => m.kind === 'ServiceMonitor')!.spec as { endpoints: Endpoint[] }
    ).endpoints[0]!;
    expect(monitor.authorization).toEqual({
      type: 'Bearer',
      credentials: { name: 'retrainer-metrics', key: 'token' },
    });
    // One way to set it, so the ServiceMonitor always knows: not through secretEnv or env.
    expect(
      refusal(
        helm,
        UMBRELLA,
        'ingest.secretEnv.METRICS_TOKEN.name=x',
        'ingest.secretEnv.METRICS_TOKEN.key=y',
      ),
    ).toMatch(/METRICS_TOKEN/);
    expect(refusal(helm, UMBRELLA, 'ingest.env.METRICS_TOKEN=plain')).toMatch(/METRICS_TOKEN/);
    expect(refusal(helm, UMBRELLA, 'global.metrics.token=plain')).toMatch(/'token'/);
  });
});
