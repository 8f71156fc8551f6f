import { baseEnvSchema, env, loadConfig, z } from '@iotwins/config';

export const ingestEnvSchema = baseEnvSchema.extend({
  PORT: env.port(3001),
  REDIS_URL: env.url(['redis', 'rediss']),
});

export type IngestConfig = z.infer<typeof ingestEnvSchema>;

export const loadIngestConfig = (): IngestConfig => loadConfig(ingestEnvSchema);
