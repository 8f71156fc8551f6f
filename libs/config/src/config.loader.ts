import { z } from 'zod';

/** Raised when the environment does not satisfy a service's configuration schema. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type EnvSchema = z.ZodObject<z.ZodRawShape>;

/**
 * Validates the environment against a schema and returns the typed configuration.
 * Every bad variable yields one line that names it and says what was expected, so an
 * operator fixes all of them in one go instead of one restart per mistake.
 */
export function loadConfig<S extends EnvSchema>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const received = env[name];
    const expected = describeIssue(issue);
    return received === undefined ? `${name}: missing; ${expected}` : `${name}: ${expected}`;
  });
  throw new ConfigError(problems);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return issue.message.replace(/^Invalid input: /, '');
}
