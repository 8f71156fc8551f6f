import { headers } from '@nats-io/nats-core';
import { tenantOf } from './message-tenant';

function message(subject: string, tenantHeader?: string) {
  const h = headers();
  if (tenantHeader !== undefined) h.set('Iotwins-Tenant', tenantHeader);
  return { subject, headers: h };
}

describe('tenantOf', () => {
  it('takes the tenant from the subject', () => {
    expect(tenantOf(message('telemetry.tenant-a.power', 'tenant-a'))).toBe('tenant-a');
    expect(tenantOf(message('telemetry.tenant-a.power'))).toBe('tenant-a');
  });

  it('dead-letters a header that names another tenant under the subject tenant', () => {
    expect(tenantOf(message('telemetry.tenant-a.power', 'tenant-b'))).toEqual({
      deadLetterAs: 'tenant-a',
      reason: 'Iotwins-Tenant header "tenant-b" disagrees with the subject\'s tenant "tenant-a"',
    });
  });

  it('dead-letters a subject without a valid tenant token as unknown', () => {
    expect(tenantOf(message('telemetry'))).toMatchObject({ deadLetterAs: 'unknown' });
    expect(tenantOf(message('telemetry.a%2Eb.m'))).toMatchObject({ deadLetterAs: 'unknown' });
  });
});
