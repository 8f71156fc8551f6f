import { baseEnvSchema, env, loadConfig, z } from '@iotwins/config';

const MIB = 1024 * 1024;

export const objectstoreEnvSchema = baseEnvSchema.extend({
  PORT: env.port(3003),
  S3_ENDPOINT: env.url(['http', 'https']),
  S3_ACCESS_KEY: env.nonEmpty('the S3 access key of the service'),
  S3_SECRET_KEY: env.nonEmpty('the S3 secret key of the service'),
  /** The endpoint presigned URLs name; edge gateways must reach it. */
  S3_PUBLIC_ENDPOINT: env.url(['http', 'https']).optional(),
  /** The MinIO notification target (a NATS JetStream target) new buckets report to. */
  S3_NOTIFY_ARN: z.string().min(1).default('arn:minio:sqs::IOTWINS:nats'),
  OBJECTSTORE_MAX_OBJECT_BYTES: env.positiveInt(5 * 1024 * MIB),
  OBJECTSTORE_PART_SIZE_BYTES: env.positiveInt(8 * MIB).refine((bytes) => bytes >= 5 * MIB, {
    message: 'S3 parts are at least 5 MiB (5242880)',
  }),
  OBJECTSTORE_UPLOAD_CONCURRENCY: env.positiveInt(2),
  OBJECTSTORE_PRESIGN_DEFAULT_EXPIRY_S: env.positiveInt(900),
  OBJECTSTORE_PRESIGN_MAX_EXPIRY_S: env.positiveInt(24 * 3600).refine((s) => s <= 7 * 24 * 3600, {
    message: 'S3 presigned URLs live at most 7 days (604800)',
  }),
  OBJECTSTORE_PRESIGN_MAX_KEYS: env.positiveInt(1_000),
  OBJECTSTORE_REDIRECT_EXPIRY_S: env.positiveInt(60),
  OBJECTSTORE_LIST_MAX_KEYS: env.positiveInt(1_000),
  OBJECTSTORE_EVENT_RELAY_ENABLED: env.bool(true),
});

export type ObjectstoreConfig = z.infer<typeof objectstoreEnvSchema>;

export const loadObjectstoreConfig = (): ObjectstoreConfig => loadConfig(objectstoreEnvSchema);
