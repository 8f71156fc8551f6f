import { baseEnvSchema, env, loadConfig, z } from '@iotwins/config';

export const retrainerEnvSchema = baseEnvSchema.extend({
  PORT: env.port(3005),
  POSTGRES_URL: env.url(['postgres', 'postgresql']),
});

export type RetrainerConfig = z.infer<typeof retrainerEnvSchema>;

export const loadRetrainerConfig = (): RetrainerConfig => loadConfig(retrainerEnvSchema);
