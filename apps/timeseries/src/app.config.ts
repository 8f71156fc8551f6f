import { baseEnvSchema, env, loadConfig, z } from '@iotwins/config';

export const timeseriesEnvSchema = baseEnvSchema.extend({
  PORT: env.port(3002),
  INFLUX_URL: env.url(['http', 'https']),
  INFLUX_USER: env.nonEmpty('the InfluxDB user the service writes and queries as'),
  INFLUX_PASSWORD: env.nonEmpty('the password of INFLUX_USER'),
});

export type TimeseriesConfig = z.infer<typeof timeseriesEnvSchema>;

export const loadTimeseriesConfig = (): TimeseriesConfig => loadConfig(timeseriesEnvSchema);
