import { parse } from 'yaml';
import { parseLabelSelector } from './label-selector';
import { renderManifest } from './manifest.renderer';

const base = {
  tenant: 'tenant-a',
  name: 'anomalyd',
  image: 'registry.iotwins.eu/anomalyd:1.0',
  env: { THRESHOLD: '0.8', MODEL_VERSION: 'not-yours' },
  resources: {},
  model: 'anomalyd',
  version: 3,
  sha256: 'ab'.repeat(32),
  revision: 4,
};

describe('manifest rendering', () => {
  it('renders a DaemonSet with a nodeSelector only for equality requirements', () => {
    const manifest = parse(
      renderManifest({ ...base, kind: 'DaemonSet', selector: parseLabelSelector('testbed=7') }),
    ) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(manifest.kind).toBe('DaemonSet');
    expect(manifest.spec.replicas).toBeUndefined();
    expect(manifest.spec.template.spec.nodeSelector).toEqual({ testbed: '7' });
    expect(manifest.spec.template.spec.affinity).toBeUndefined();
    // The registry's MODEL_* variables cannot be overridden by the declared env.
    expect(manifest.spec.template.spec.containers[0].env).toEqual([
      { name: 'MODEL_NAME', value: 'anomalyd' },
      { name: 'MODEL_VERSION', value: '3' },
      { name: 'MODEL_URI', value: 'models:/anomalyd/3' },
      { name: 'MODEL_SHA256', value: base.sha256 },
      { name: 'THRESHOLD', value: '0.8' },
    ]);
  });

  it('renders a Deployment with replicas and a required node affinity for set requirements', () => {
    const text = renderManifest({
      ...base,
      kind: 'Deployment',
      replicas: 2,
      selector: parseLabelSelector('gpu, zone notin (b)'),
    });
    expect(text).not.toMatch(/[&*]a\d/); // no YAML anchors
    const manifest = parse(text) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(manifest.spec.replicas).toBe(2);
    expect(manifest.spec.template.spec.nodeSelector).toBeUndefined();
    expect(
      manifest.spec.template.spec.affinity.nodeAffinity
        .requiredDuringSchedulingIgnoredDuringExecution,
    ).toEqual({
      nodeSelectorTerms: [
        {
          matchExpressions: [
            { key: 'gpu', operator: 'Exists' },
            { key: 'zone', operator: 'NotIn', values: ['b'] },
          ],
        },
      ],
    });
  });
});
