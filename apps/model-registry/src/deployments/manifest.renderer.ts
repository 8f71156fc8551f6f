import { stringify } from 'yaml';
import type { LabelSelector } from './label-selector';

export interface ManifestInput {
  tenant: string;
  name: string;
  kind: 'DaemonSet' | 'Deployment';
  replicas?: number;
  image: string;
  env: Record<string, string>;
  resources: Record<string, unknown>;
  selector: LabelSelector;
  model: string;
  version: number;
  alias?: string;
  sha256: string;
  revision: number;
}

const LABEL_VALUE = /^(|[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

/**
 * Renders the Kubernetes object that runs a model version on the matching edge nodes: a
 * DaemonSet (one pod per node, as the seed's anomalyd example) or a Deployment. Equality
 * requirements become a nodeSelector; set and existence requirements a required node affinity.
 */
export function renderManifest(input: ManifestInput): string {
  const podLabels: Record<string, string> = {
    'app.kubernetes.io/name': input.name,
    'app.kubernetes.io/managed-by': 'iotwins-model-registry',
  };
  const labels: Record<string, string> = {
    ...podLabels,
    'iotwins.eu/model-version': String(input.version),
  };
  // A label value holds at most 63 characters; the annotation always carries the full name.
  if (LABEL_VALUE.test(input.model)) labels['iotwins.eu/model'] = input.model;
  const annotations: Record<string, string> = {
    'iotwins.eu/tenant': input.tenant,
    'iotwins.eu/model': input.model,
    'iotwins.eu/model-version': String(input.version),
    'iotwins.eu/model-sha256': input.sha256,
    'iotwins.eu/revision': String(input.revision),
    ...(input.alias ? { 'iotwins.eu/model-alias': input.alias } : {}),
  };
  const env = [
    { name: 'MODEL_NAME', value: input.model },
    { name: 'MODEL_VERSION', value: String(input.version) },
    { name: 'MODEL_URI', value: `models:/${input.model}/${input.version}` },
    { name: 'MODEL_SHA256', value: input.sha256 },
    ...Object.entries(input.env)
      .filter(([name]) => !name.startsWith('MODEL_'))
      .map(([name, value]) => ({ name, value })),
  ];
  const podSpec: Record<string, unknown> = {};
  if (Object.keys(input.selector.matchLabels).length > 0)
    podSpec.nodeSelector = input.selector.matchLabels;
  if (input.selector.matchExpressions.length > 0)
    podSpec.affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: input.selector.matchExpressions.map((requirement) => ({
                key: requirement.key,
                operator: requirement.operator,
                ...(requirement.values.length > 0 ? { values: requirement.values } : {}),
              })),
            },
          ],
        },
      },
    };
  podSpec.containers = [
    {
      name: 'model',
      image: input.image,
      env,
      ...(Object.keys(input.resources).length > 0 ? { resources: input.resources } : {}),
    },
  ];
  const manifest = {
    apiVersion: 'apps/v1',
    kind: input.kind,
    metadata: {
      name: input.name,
      namespace: `iotwins-${input.tenant.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 63),
      labels,
      annotations,
    },
    spec: {
      ...(input.kind === 'Deployment' ? { replicas: input.replicas ?? 1 } : {}),
      selector: { matchLabels: podLabels },
      template: {
        metadata: { labels, annotations: { 'iotwins.eu/model-sha256': input.sha256 } },
        spec: podSpec,
      },
    },
  };
  // No YAML anchors: the pod template repeats the labels in full, as kubectl users expect.
  return stringify(manifest, { aliasDuplicateObjects: false });
}
