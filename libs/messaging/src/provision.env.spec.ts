import { loadConfig } from '@iotwins/config';
import { provisionEnvSchema, provisionOptions } from './provision.env';

describe('provisioning environment', () => {
  const base = { NATS_URL: 'nats://127.0.0.1:4222', NATS_OPERATOR_PASSWORD: 'secret' };

  it('reads the tenants and the stream settings, with documented defaults', () => {
    const options = provisionOptions(
      loadConfig(provisionEnvSchema, { ...base, NATS_TENANTS: ' tenant-a, tenant_b ,' }),
    );
    expect(options.tenants).toEqual(['tenant-a', 'tenant_b']);
    expect(options.tenantStream).toEqual({ maxAgeMs: 7 * 24 * 3600 * 1000, maxBytes: 268435456 });
    expect(options.telemetry.replicas).toBe(1);
  });

  it('refuses a tenant that is not one subject token', () => {
    expect(() => loadConfig(provisionEnvSchema, { ...base, NATS_TENANTS: 'tenant-a,a.>' })).toThrow(
      /NATS_TENANTS: expected a comma-separated list of tenant names/,
    );
  });
});
