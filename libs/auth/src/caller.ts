/** Who is calling, as proven by a verified access token. */
export interface Caller {
  /** Token subject: a user id, or the service account of a client. */
  subject: string;
  /** The client the token was issued to (azp). */
  clientId: string | undefined;
  /** Whose data the caller acts on; from the `tenant` claim. */
  tenant: string;
  roles: ReadonlySet<string>;
}

export const PLATFORM_ADMIN_ROLE = 'platform:admin';

/** Realm roles of the platform; a route states which it needs. */
export const Role = {
  TelemetryWrite: 'telemetry:write',
  TelemetryRead: 'telemetry:read',
  ObjectsRead: 'objects:read',
  ObjectsWrite: 'objects:write',
  ModelsRead: 'models:read',
  ModelsWrite: 'models:write',
  ModelsDeploy: 'models:deploy',
  MonitorsAdmin: 'monitors:admin',
  PlatformAdmin: PLATFORM_ADMIN_ROLE,
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export function isPlatformAdmin(caller: Caller): boolean {
  return caller.roles.has(PLATFORM_ADMIN_ROLE);
}

/** A caller may act on its own tenant; only a platform admin may act on another one. */
export function mayActOnTenant(caller: Caller, tenant: string): boolean {
  return caller.tenant === tenant || isPlatformAdmin(caller);
}

/** A caller holds a role when granted it directly; platform admins hold every role. */
export function hasRole(caller: Caller, role: string): boolean {
  return caller.roles.has(role) || isPlatformAdmin(caller);
}
