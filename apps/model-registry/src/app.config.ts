import { baseEnvSchema, env, loadConfig, z } from '@iotwins/config';

const MIB = 1024 * 1024;

export const modelRegistryEnvSchema = baseEnvSchema.extend({
  PORT: env.port(3004),
  MONGO_URL: env.url(['mongodb', 'mongodb+srv']),
  S3_ENDPOINT: env.url(['http', 'https']),
  S3_ACCESS_KEY: env.nonEmpty('the S3 access key of the service'),
  S3_SECRET_KEY: env.nonEmpty('the S3 secret key of the service'),
  /** The endpoint presigned download URLs name; whoever downloads must reach it. */
  S3_PUBLIC_ENDPOINT: env.url(['http', 'https']).optional(),
  /** The one S3 bucket holding every tenant's artifacts, each tenant under its own prefix. */
  MODEL_REGISTRY_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'expected an S3 bucket name' })
    .default('iotwins-model-artifacts'),
  /** Largest version (all its files together); an upload beyond it is refused while streaming. */
  MODEL_REGISTRY_MAX_VERSION_BYTES: env.positiveInt(2 * 1024 * MIB),
  MODEL_REGISTRY_MAX_FILES: env.positiveInt(1_000),
  MODEL_REGISTRY_PART_SIZE_BYTES: env.positiveInt(8 * MIB).refine((bytes) => bytes >= 5 * MIB, {
    message: 'S3 parts are at least 5 MiB (5242880)',
  }),
  MODEL_REGISTRY_UPLOAD_CONCURRENCY: env.positiveInt(2),
  MODEL_REGISTRY_DOWNLOAD_URL_EXPIRY_S: env.positiveInt(300),
  /** Artifacts without a version this old are leftovers of a crashed upload and are deleted. */
  MODEL_REGISTRY_ORPHAN_GRACE_S: env.nonNegativeInt(3_600),
  MODEL_REGISTRY_ORPHAN_SWEEP_INTERVAL_S: env.positiveInt(900),
  /** A node not heard from for this long is offline. */
  MODEL_REGISTRY_NODE_OFFLINE_AFTER_S: env.positiveInt(90),
  MODEL_REGISTRY_NODE_CHECK_INTERVAL_MS: env.positiveInt(5_000),
  MODEL_REGISTRY_LIST_MAX: env.positiveInt(200),
  /** Webhook deliveries: attempts per event, first retry delay (doubling), request timeout. */
  MODEL_REGISTRY_WEBHOOK_MAX_ATTEMPTS: env.positiveInt(6),
  MODEL_REGISTRY_WEBHOOK_RETRY_BASE_MS: env.positiveInt(2_000),
  MODEL_REGISTRY_WEBHOOK_TIMEOUT_MS: env.positiveInt(5_000),
});

export type ModelRegistryConfig = z.infer<typeof modelRegistryEnvSchema>;

export const loadModelRegistryConfig = (): ModelRegistryConfig =>
  loadConfig(modelRegistryEnvSchema);
