import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '@iotwins/testing';

const APPS = {
  ingest: 3001,
  timeseries: 3002,
  objectstore: 3003,
  'model-registry': 3004,
  retrainer: 3005,
};
const chart = resolve(repoRoot, 'deploy/helm/iotwins');

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown> & {
    replicas?: number;
    ports?: { port: number }[];
    template?: { spec: { containers: Container[] } };
  };
}
interface Container {
  image: string;
  ports: { containerPort: number }[];
  env: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef: { name: string; key: string } };
  }[];
  livenessProbe: { httpGet: { path: string } };
  readinessProbe: { httpGet: { path: string } };
}

/** The real helm binary, built into the cache by scripts/tools.sh on first use. */
const helm = execFileSync('bash', [resolve(repoRoot, 'scripts/tools.sh'), 'helm'], {
  encoding: 'utf8',
}).trim();

function render(...sets: string[]): Manifest[] {
  const output = execFileSync(
    helm,
    ['template', 'demo', chart, ...sets.flatMap((set) => ['--set', set])],
    {
      encoding: 'utf8',
    },
  );
  return parseAllDocuments(output)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

function renderFails(...sets: string[]): string {
  try {
    render(...sets);
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
  throw new Error('helm template succeeded');
}

describe('Helm chart deploy/helm/iotwins', () => {
  it('passes helm lint', () => {
    expect(execFileSync(helm, ['lint', chart], { encoding: 'utf8' })).toContain(
      '0 chart(s) failed',
    );
  });

  it('renders a Deployment and a Service per app on its port', () => {
    const manifests = render();
    for (const [app, port] of Object.entries(APPS)) {
      const deployment = manifests.find(
        (m) => m.kind === 'Deployment' && m.metadata.name === `demo-${app}`,
      );
      const service = manifests.find(
        (m) => m.kind === 'Service' && m.metadata.name === `demo-${app}`,
      );
      expect(deployment?.spec.template?.spec.containers[0]?.ports[0]?.containerPort).toBe(port);
      expect(deployment?.spec.template?.spec.containers[0]?.image).toBe(
        `harbor.example.org/iotwins/${app}:0.1.0`,
      );
      expect(service?.spec.ports?.[0]?.port).toBe(port);
    }
  });

  it('probes liveness and readiness on the health endpoints', () => {
    for (const deployment of render().filter((m) => m.kind === 'Deployment')) {
      const container = deployment.spec.template!.spec.containers[0]!;
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    }
  });

  it('takes every secret from a Secret reference, never as a plain value', () => {
    // Variables that hold a secret: passwords, keys, and connection URLs with credentials.
    const secret = /PASSWORD|SECRET|ACCESS_KEY|^(REDIS|MONGO|POSTGRES)_URL$/;
    for (const deployment of render().filter((m) => m.kind === 'Deployment')) {
      const env = deployment.spec.template!.spec.containers[0]!.env;
      const secrets = env.filter((variable) => secret.test(variable.name));
      expect(secrets.length).toBeGreaterThan(0);
      for (const variable of secrets) {
        expect(variable.value).toBeUndefined();
        expect(variable.valueFrom?.secretKeyRef.key).toBeTruthy();
      }
      expect(env.find((e) => e.name === 'NATS_PASSWORD')?.valueFrom?.secretKeyRef.name).toBe(
        'iotwins-nats',
      );
    }
  });

  it('provisions NATS streams with the operator login in a hook Job before the apps', () => {
    const job = render('natsProvision.env.NATS_TENANTS=tenant-a').find(
      (m) => m.kind === 'Job',
    ) as unknown as {
      metadata: { name: string; annotations: Record<string, string> };
      spec: {
        template: {
          spec: {
            containers: {
              image: string;
              command: string[];
              env: {
                name: string;
                value?: string;
                valueFrom?: { secretKeyRef: { name: string; key: string } };
              }[];
            }[];
          };
        };
      };
    };
    expect(job.metadata.name).toBe('demo-nats-provision');
    expect(job.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const container = job.spec.template.spec.containers[0]!;
    expect(container.command).toEqual(['node', '/app/libs/messaging/dist/provision.main.js']);
    expect(container.image).toMatch(/\/ingest:/);
    const env = Object.fromEntries(container.env.map((e) => [e.name, e]));
    expect(env.NATS_TENANTS?.value).toBe('tenant-a');
    expect(env.NATS_OPERATOR_PASSWORD?.value).toBeUndefined();
    expect(env.NATS_OPERATOR_PASSWORD?.valueFrom?.secretKeyRef).toEqual({
      name: 'iotwins-nats',
      key: 'operator',
    });
    expect(render('natsProvision.enabled=false').some((m) => m.kind === 'Job')).toBe(false);
  });

  it('honours replicas, disabling an app and autoscaling', () => {
    const manifests = render(
      'apps.ingest.replicas=5',
      'apps.retrainer.enabled=false',
      'apps.timeseries.autoscaling.enabled=true',
    );
    expect(
      manifests.find((m) => m.metadata.name === 'demo-ingest' && m.kind === 'Deployment')?.spec
        .replicas,
    ).toBe(5);
    expect(manifests.filter((m) => m.metadata.name === 'demo-retrainer')).toEqual([]);
    expect(manifests.find((m) => m.kind === 'HorizontalPodAutoscaler')?.metadata.name).toBe(
      'demo-timeseries',
    );
  });

  it('refuses values that break its schema', () => {
    expect(renderFails('apps.ingest.replicas=-1')).toMatch(/replicas/);
    expect(renderFails('apps.ingest.port=70000')).toMatch(/port/);
    expect(renderFails('apps.ingest.enabled=maybe')).toMatch(/enabled/);
    expect(renderFails('apps.unknown.enabled=true')).toMatch(/unknown|additional/i);
  });
});
