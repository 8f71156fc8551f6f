/** OpenAPI of ?tenant=, which lets platform admins act on any tenant's monitors. */
export const TENANT_QUERY = {
  name: 'tenant',
  required: false,
  description: 'Platform admins only: the tenant to act on; default the tenant of the token',
};
