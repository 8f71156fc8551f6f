import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { repoRoot } from '@iotwins/testing';

/** The charts under deploy/helm, as an operator installs them. */
export const APPS = ['ingest', 'timeseries', 'objectstore', 'model-registry', 'retrainer'] as const;
export type App = (typeof APPS)[number];
export const HELM_DIR = resolve(repoRoot, 'deploy/helm');
export const UMBRELLA = resolve(HELM_DIR, 'iotwins');
export const appChart = (app: App): string => resolve(HELM_DIR, `iotwins-${app}`);
export const PRODUCTION_VALUES = resolve(HELM_DIR, 'values-production.yaml');

/** A tool built into the cache by scripts/tools.sh on first use (helm 4, helm 3, ...). */
export function tool(name: string): string {
  return execFileSync('bash', [resolve(repoRoot, 'scripts/tools.sh'), name], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** Fetches the charts' dependencies (the library into each app, the apps into the umbrella). */
export function buildDependencies(): void {
  execFileSync('bash', [resolve(repoRoot, 'scripts/helm-push.sh'), 'deps'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  automountServiceAccountToken?: boolean;
}

export const scratch = mkdtempSync(join(tmpdir(), 'iotwins-helm-'));

/**
 * The production values as they apply to one app chart installed alone: the global block
 * plus the app's own block, lifted to the top level.
 */
export function productionValuesFor(app: App): string {
  const all = parse(readFileSync(PRODUCTION_VALUES, 'utf8')) as Record<string, unknown>;
  const file = join(scratch, `production-${app}.yaml`);
  writeFileSync(file, stringify({ global: all.global, ...(all[app] as object) }));
  return file;
}

/** `helm template` output, as text. Throws with helm's stderr when it refuses. */
export function template(
  helm: string,
  chart: string,
  {
    release = 'demo',
    values = [],
    sets = [],
  }: { release?: string; values?: string[]; sets?: string[] } = {},
): string {
  return execFileSync(
    helm,
    [
      'template',
      release,
      chart,
      '--namespace',
      'iotwins',
      ...values.flatMap((file) => ['-f', file]),
      ...sets.flatMap((set) => ['--set', set]),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

export function manifests(yaml: string): Manifest[] {
  return parseAllDocuments(yaml)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

/** helm's error message when it refuses the values. */
export function refusal(helm: string, chart: string, ...sets: string[]): string {
  try {
    template(helm, chart, { sets });
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
  throw new Error(`helm template accepted ${sets.join(' ')}`);
}
