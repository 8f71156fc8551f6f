import type { ApiQueryOptions } from '@nestjs/swagger';

/** The ?tenant= a platform admin names to act on a tenant; everyone else acts on their own. */
export const TENANT_QUERY: ApiQueryOptions = {
  name: 'tenant',
  required: false,
  description: 'Platform admins only: the tenant to act on (default: the token’s tenant)',
};
