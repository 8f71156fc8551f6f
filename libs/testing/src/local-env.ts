import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

/** Repository root, found from this file so tests run from any working directory. */
export const repoRoot = resolve(__dirname, '../../..');

/**
 * Reads deploy/local/local.env, the settings scripts/services.sh starts the backing servers
 * with. Variables already present in the environment win, as they do for the script.
 */
export function readLocalEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const file = resolve(repoRoot, 'deploy/local/local.env');
  const values = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) merged[name] = env[name] ?? value;
  return merged;
}

/** Copies the local settings into process.env without overriding what is already set. */
export function applyLocalEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(readLocalEnv(env))) env[name] ??= value;
}
