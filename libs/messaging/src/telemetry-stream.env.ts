import { env, z } from '@iotwins/config';
import type { TelemetryStreamOptions } from './telemetry.stream';

/** Variables of the TELEMETRY stream, read by both ingest and timeseries. */
export const telemetryStreamEnvShape = {
  TELEMETRY_STREAM_MAX_BYTES: env.positiveInt(1024 * 1024 * 1024),
  TELEMETRY_STREAM_MAX_AGE_SECONDS: env.positiveInt(7 * 24 * 3600),
  TELEMETRY_DUPLICATE_WINDOW_SECONDS: env.positiveInt(600),
  TELEMETRY_STREAM_REPLICAS: env.positiveInt(1),
};

type TelemetryStreamEnv = z.infer<z.ZodObject<typeof telemetryStreamEnvShape>>;

export function telemetryStreamOptions(config: TelemetryStreamEnv): TelemetryStreamOptions {
  return {
    maxBytes: config.TELEMETRY_STREAM_MAX_BYTES,
    maxAgeMs: config.TELEMETRY_STREAM_MAX_AGE_SECONDS * 1000,
    duplicateWindowMs: config.TELEMETRY_DUPLICATE_WINDOW_SECONDS * 1000,
    replicas: config.TELEMETRY_STREAM_REPLICAS,
  };
}
