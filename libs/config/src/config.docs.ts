import type { EnvSchema } from './config.loader';

/**
 * Names of the schema's variables that the markdown does not mention in backticks, so a
 * spec can keep docs/configuration.md in step with the code.
 */
export function undocumentedVariables(schema: EnvSchema, markdown: string): string[] {
  return Object.keys(schema.shape).filter((name) => !markdown.includes(`\`${name}\``));
}
