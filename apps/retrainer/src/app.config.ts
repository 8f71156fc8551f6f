import { baseEnvSchema, env, loadConfig, z } from '@iotwins/config';

export const retrainerEnvSchema = baseEnvSchema.extend({
  PORT: env.port(3005),
  POSTGRES_URL: env.url(['postgres', 'postgresql']),
  /** Subjects of the registry's request-reply operations are `<prefix>.<operation>`. */
  MODEL_REGISTRY_SUBJECT_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, {
      message: 'expected dot-separated subject tokens, e.g. svc.model-registry',
    })
    .default('svc.model-registry'),
  MODEL_REGISTRY_TIMEOUT_MS: env.positiveInt(5_000),
  /** How often a monitor that follows an alias asks the registry where the alias points. */
  ALIAS_REFRESH_MS: env.positiveInt(30_000),
  /** How long a prediction or actual waits for its counterpart before it expires. */
  PAIRING_TTL_SECONDS: env.positiveInt(24 * 3600),
  /**
   * How long a paired key is remembered (at most PAIRING_TTL_SECONDS), so that a prediction
   * or actual repeating it is ignored and counted as a duplicate.
   */
  PAIRING_DUPLICATE_WINDOW_SECONDS: env.positiveInt(3600),
  /** Most paired keys remembered for that; beyond it the oldest are forgotten early. */
  PAIRING_DUPLICATE_MAX_KEYS: env.positiveInt(200_000),
  /** How often expired unpaired observations are swept out and counted. */
  PAIRING_SWEEP_MS: env.positiveInt(1_000),
  /** Durable consumer of OBSERVATIONS; tests give each app instance its own. */
  OBSERVATIONS_CONSUMER: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'expected a consumer name (A-Z a-z 0-9 _ -)' })
    .default('retrainer-observations'),
  /** Messages processed between two commits of the evaluation state (and acks). */
  OBSERVATIONS_BATCH_MESSAGES: env.positiveInt(500),
  /** Longest a processed message waits for its commit when traffic is light. */
  OBSERVATIONS_FLUSH_MS: env.positiveInt(50),
  WEBHOOK_TIMEOUT_MS: env.positiveInt(5_000),
  /** Attempts of an action (webhook, registry call) before it is recorded as failed. */
  ACTION_MAX_ATTEMPTS: env.positiveInt(6),
  /** First retry delay of an action; it doubles with each attempt. */
  ACTION_RETRY_BASE_MS: env.positiveInt(1_000),
  /**
   * Lease of the actions an instance claimed, renewed every third of it while they run: the
   * actions of an instance that died are taken by another within about this long.
   */
  ACTION_LEASE_SECONDS: env.positiveInt(30),
  /**
   * Secret the passwords of the per-tenant dashboard readers (PostgreSQL roles
   * iotwins_monitor_reader_<tenant>, Grafana's datasources) are derived from (HMAC).
   */
  RETRAINER_READER_SECRET: env
    .nonEmpty('a secret of at least 16 characters for the dashboard readers’ passwords')
    .refine((secret) => secret.length >= 16, { message: 'expected at least 16 characters' }),
  /**
   * Tenants whose dashboard reader exists from the start, before their first monitor: those
   * Grafana is provisioned for. Tenants with monitors get theirs anyway.
   */
  RETRAINER_DASHBOARD_TENANTS: env.tenantList(
    40,
    ': the role name iotwins_monitor_reader_<tenant> must fit PostgreSQL’s 63 bytes',
  ),
});

export type RetrainerConfig = z.infer<typeof retrainerEnvSchema>;

export const loadRetrainerConfig = (): RetrainerConfig => loadConfig(retrainerEnvSchema);
