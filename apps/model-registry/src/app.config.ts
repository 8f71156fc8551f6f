import { baseEnvSchema, env, loadConfig, z } from '@iotwins/config';

export const modelRegistryEnvSchema = baseEnvSchema.extend({
  PORT: env.port(3004),
  MONGO_URL: env.url(['mongodb', 'mongodb+srv']),
  S3_ENDPOINT: env.url(['http', 'https']),
  S3_ACCESS_KEY: env.nonEmpty('the S3 access key of the service'),
  S3_SECRET_KEY: env.nonEmpty('the S3 secret key of the service'),
});

export type ModelRegistryConfig = z.infer<typeof modelRegistryEnvSchema>;

export const loadModelRegistryConfig = (): ModelRegistryConfig =>
  loadConfig(modelRegistryEnvSchema);
