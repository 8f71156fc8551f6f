import { baseEnvSchema, env, loadConfig, z } from '@iotwins/config';
import { RETENTION_DURATION } from './influx/influxql';

export const timeseriesEnvSchema = baseEnvSchema.extend({
  PORT: env.port(3002),
  INFLUX_URL: env.url(['http', 'https']),
  INFLUX_USER: env.nonEmpty('the InfluxDB user the service writes and queries as'),
  INFLUX_PASSWORD: env.nonEmpty('the password of INFLUX_USER'),
  /** Secret the per-tenant read-only InfluxDB users' passwords are derived from (HMAC). */
  TIMESERIES_READER_SECRET: env
    .nonEmpty('a secret of at least 16 characters for the tenant readers’ passwords')
    .refine((secret) => secret.length >= 16, { message: 'expected at least 16 characters' }),
  TIMESERIES_DEFAULT_RETENTION: z
    .string()
    .regex(RETENTION_DURATION, {
      message: 'expected 0s (forever) or a number with m, h, d or w, e.g. 365d',
    })
    .default('0s'),
  TIMESERIES_WRITER_ENABLED: env.bool(true),
  TIMESERIES_FIELD_TYPES_SEED_SECONDS: env.nonNegativeInt(300),
  TIMESERIES_WRITER_CONCURRENCY: env.positiveInt(2),
  TIMESERIES_WRITER_BATCH_MESSAGES: env.positiveInt(256),
  TIMESERIES_WRITER_MAX_FAILURES: env.positiveInt(5),
  TIMESERIES_QUERY_DEFAULT_LIMIT: env.positiveInt(1_000),
  TIMESERIES_QUERY_MAX_LIMIT: env.positiveInt(100_000),
  /** Cost limits of reads: windows per aggregated answer, time per query, queries at once. */
  TIMESERIES_QUERY_MAX_WINDOWS: env.positiveInt(10_000),
  TIMESERIES_QUERY_TIMEOUT_MS: env.positiveInt(30_000),
  TIMESERIES_QUERY_MAX_CONCURRENT_PER_TENANT: env.positiveInt(4),
});

export type TimeseriesConfig = z.infer<typeof timeseriesEnvSchema>;

export const loadTimeseriesConfig = (): TimeseriesConfig => loadConfig(timeseriesEnvSchema);
