import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, undocumentedVariables, type EnvSchema } from '@iotwins/config';
import { repoRoot } from './local-env';

/** What every app's configuration schema must satisfy; runs as a fast unit spec. */
export function describeConfigContract(appName: string, schema: EnvSchema): void {
  describe(`${appName} configuration`, () => {
    it('documents every variable in docs/configuration.md', () => {
      const docs = readFileSync(resolve(repoRoot, 'docs/configuration.md'), 'utf8');
      expect(undocumentedVariables(schema, docs)).toEqual([]);
    });

    it('refuses an empty environment, naming each required variable', () => {
      let error: unknown;
      try {
        loadConfig(schema, {});
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const named = (error as ConfigError).problems.map((line) => line.split(':')[0]);
      expect(named).toEqual(
        expect.arrayContaining(['AUTH_ISSUER', 'NATS_URL', 'NATS_USER', 'NATS_PASSWORD']),
      );
    });
  });
}
