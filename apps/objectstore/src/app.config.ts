import { baseEnvSchema, env, loadConfig, z } from '@iotwins/config';

export const objectstoreEnvSchema = baseEnvSchema.extend({
  PORT: env.port(3003),
  S3_ENDPOINT: env.url(['http', 'https']),
  S3_ACCESS_KEY: env.nonEmpty('the S3 access key of the service'),
  S3_SECRET_KEY: env.nonEmpty('the S3 secret key of the service'),
});

export type ObjectstoreConfig = z.infer<typeof objectstoreEnvSchema>;

export const loadObjectstoreConfig = (): ObjectstoreConfig => loadConfig(objectstoreEnvSchema);
