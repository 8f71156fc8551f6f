import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { repoRoot } from './local-env';

/**
 * Integration tests talk to the real servers. Fail once, up front, with the command to
 * run, instead of letting every test time out against a closed port.
 */
export default function globalSetup(): void {
  try {
    execFileSync('bash', [resolve(repoRoot, 'scripts/services.sh'), 'check'], { stdio: 'pipe' });
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(
      `The backing services are not all up; start them with: bash scripts/services.sh up\n${output}`,
    );
  }
}
