import { ProblemException } from '@iotwins/http';
import { mayActOnTenant, type Caller } from './caller';

/** Throws 403 unless the caller may act on the named tenant's data. */
export function assertTenantAccess(caller: Caller, tenant: string): void {
  if (!mayActOnTenant(caller, tenant)) {
    throw ProblemException.of(
      403,
      'tenant-forbidden',
      `Your token is for tenant "${caller.tenant}" and cannot act on tenant "${tenant}"`,
    );
  }
}
