import { hasRole, mayActOnTenant, type Caller } from './caller';

const caller = (tenant: string, ...roles: string[]): Caller => ({
  subject: 's',
  clientId: 'c',
  tenant,
  roles: new Set(roles),
});

describe('tenant and role rules', () => {
  it('lets a caller act on its own tenant only', () => {
    expect(mayActOnTenant(caller('tenant-a'), 'tenant-a')).toBe(true);
    expect(mayActOnTenant(caller('tenant-a'), 'tenant-b')).toBe(false);
  });

  it('lets a platform admin act on any tenant and hold every role', () => {
    const admin = caller('platform', 'platform:admin');
    expect(mayActOnTenant(admin, 'tenant-b')).toBe(true);
    expect(hasRole(admin, 'models:deploy')).toBe(true);
  });

  it('requires the exact role otherwise', () => {
    expect(hasRole(caller('tenant-a', 'telemetry:read'), 'telemetry:write')).toBe(false);
    expect(hasRole(caller('tenant-a', 'telemetry:write'), 'telemetry:write')).toBe(true);
  });
});
