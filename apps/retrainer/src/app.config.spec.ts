import { describeConfigContract } from '@iotwins/testing';
import { retrainerEnvSchema } from './app.config';

describeConfigContract('retrainer', retrainerEnvSchema);

describe('RETRAINER_DASHBOARD_TENANTS', () => {
  const tenants = retrainerEnvSchema.shape.RETRAINER_DASHBOARD_TENANTS;

  it('reads a comma-separated list, empty by default', () => {
    expect(tenants.parse(undefined)).toEqual([]);
    expect(tenants.parse(' tenant-a, tenant_b ,')).toEqual(['tenant-a', 'tenant_b']);
  });

  it('refuses a tenant whose reader role name would not fit in 63 bytes, or odd characters', () => {
    expect(tenants.safeParse('t'.repeat(40)).success).toBe(true);
    const long = tenants.safeParse(`tenant-a,${'t'.repeat(41)}`);
    expect(long.success).toBe(false);
    expect(long.error?.issues[0]?.message).toMatch(/at most 40 each: the role name/);
    expect(tenants.safeParse('tenant"a').success).toBe(false);
  });
});
