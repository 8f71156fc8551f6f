import type { Caller } from '@iotwins/auth';
import { tenantPermissions } from './tenant-permissions';

const caller = (roles: string[]): Caller => ({
  subject: 's',
  clientId: 'gateway-tenant-a',
  tenant: 'tenant-a',
  roles: new Set(roles),
});

describe('tenantPermissions', () => {
  it('binds every subject to the caller tenant', () => {
    const permissions = tenantPermissions(caller(['telemetry:write', 'telemetry:read']));
    const all = [...permissions.pub!.allow!, ...permissions.sub!.allow!];
    for (const subject of all) expect(subject).toMatch(/(^|\.|_)tenant-a(\.|$)/);
    expect(all.some((subject) => subject.includes('$SYS'))).toBe(false);
    expect(all.filter((s) => s.startsWith('$JS.API.STREAM.')).sort()).toEqual([
      '$JS.API.STREAM.INFO.TENANT_tenant-a',
      '$JS.API.STREAM.MSG.GET.TENANT_tenant-a',
    ]);
  });

  it('gives a read-only caller no publish but its own stream, and a writer no reading', () => {
    const reader = tenantPermissions(caller(['telemetry:read']));
    expect(reader.pub!.allow!.filter((s) => !s.startsWith('$JS.'))).toEqual([]);
    expect(reader.sub!.allow).toEqual([
      '_INBOX_tenant-a.>',
      'telemetry.tenant-a.>',
      'events.tenant-a.>',
    ]);
    const writer = tenantPermissions(caller(['telemetry:write']));
    expect(writer.pub!.allow!.some((s) => s.startsWith('$JS.'))).toBe(false);
    expect(writer.sub!.allow).toEqual(['_INBOX_tenant-a.>', 'nodes.tenant-a.*.cmd']);
  });
});
