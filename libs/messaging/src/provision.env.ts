import { env, z } from '@iotwins/config';
import { assertSubjectToken } from './subject-token';
import { telemetryStreamEnvShape, telemetryStreamOptions } from './telemetry-stream.env';
import type { ProvisionOptions } from './provision';

/** Variables of the provisioning step (provision.main.ts); documented in docs/configuration.md. */
export const provisionEnvSchema = z.object({
  NATS_URL: env.url(['nats', 'tls']),
  NATS_OPERATOR_USER: env.nonEmpty('the operator NATS login').default('dev'),
  NATS_OPERATOR_PASSWORD: env.nonEmpty('the password of NATS_OPERATOR_USER'),
  NATS_TENANTS: env.tenantList(128),
  TENANT_STREAM_MAX_AGE_SECONDS: env.positiveInt(7 * 24 * 3600),
  TENANT_STREAM_MAX_BYTES: env.positiveInt(256 * 1024 * 1024),
  ...telemetryStreamEnvShape,
});

export type ProvisionEnv = z.infer<typeof provisionEnvSchema>;

export function provisionOptions(config: ProvisionEnv): ProvisionOptions {
  return {
    telemetry: telemetryStreamOptions(config),
    tenants: config.NATS_TENANTS.map((tenant) => assertSubjectToken('tenant', tenant)),
    tenantStream: {
      maxAgeMs: config.TENANT_STREAM_MAX_AGE_SECONDS * 1000,
      maxBytes: config.TENANT_STREAM_MAX_BYTES,
    },
  };
}
