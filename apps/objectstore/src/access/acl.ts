import { Role, isPlatformAdmin, type Caller } from '@iotwins/auth';

/**
 * Who may do what with a bucket and its objects. A bucket's ACL is the default of its
 * objects; an object's own ACL, when set, overrides it. The owner is whoever created the
 * bucket; platform admins may do anything. Roles still apply: reading needs objects:read,
 * changing needs objects:write, whatever the ACL says.
 */
export const ACLS = ['private', 'tenant-read', 'tenant-write', 'public-read'] as const;
export type Acl = (typeof ACLS)[number];

export function isAcl(value: unknown): value is Acl {
  return typeof value === 'string' && (ACLS as readonly string[]).includes(value);
}

/** What an access decision needs to know of a bucket. */
export interface BucketAccess {
  tenant: string;
  owner: string;
  acl: Acl;
}

/** An authenticated caller, or undefined for an anonymous one. */
export type Principal = Caller | undefined;

const TENANT_READABLE: ReadonlySet<Acl> = new Set(['tenant-read', 'tenant-write', 'public-read']);

function isOwner(caller: Caller, bucket: BucketAccess): boolean {
  return caller.tenant === bucket.tenant && caller.subject === bucket.owner;
}

function inTenant(caller: Caller, bucket: BucketAccess): boolean {
  return caller.tenant === bucket.tenant;
}

/** Read an object's bytes, metadata or a presigned GET of it. */
export function mayReadObject(
  principal: Principal,
  bucket: BucketAccess,
  objectAcl: Acl | undefined,
): boolean {
  const effective = objectAcl ?? bucket.acl;
  if (effective === 'public-read') return true;
  if (!principal) return false;
  if (isPlatformAdmin(principal)) return true;
  if (!inTenant(principal, bucket) || !principal.roles.has(Role.ObjectsRead)) return false;
  return isOwner(principal, bucket) || TENANT_READABLE.has(effective);
}

/**
 * Create, overwrite or delete an object. `existingAcl` is the own ACL of the object the write
 * replaces, if there is one: a private object in a tenant-write bucket stays the owner's.
 */
export function mayWriteObject(
  principal: Principal,
  bucket: BucketAccess,
  existingAcl: Acl | undefined,
): boolean {
  if (!principal) return false;
  if (isPlatformAdmin(principal)) return true;
  if (!inTenant(principal, bucket) || !principal.roles.has(Role.ObjectsWrite)) return false;
  return isOwner(principal, bucket) || (existingAcl ?? bucket.acl) === 'tenant-write';
}

/** List the bucket's keys and read its ACL. */
export function mayListBucket(principal: Principal, bucket: BucketAccess): boolean {
  if (!principal) return false;
  if (isPlatformAdmin(principal)) return true;
  if (!inTenant(principal, bucket) || !principal.roles.has(Role.ObjectsRead)) return false;
  return isOwner(principal, bucket) || TENANT_READABLE.has(bucket.acl);
}

/** Change ACLs and delete the bucket: the owner's rights. */
export function mayAdministerBucket(principal: Principal, bucket: BucketAccess): boolean {
  if (!principal) return false;
  if (isPlatformAdmin(principal)) return true;
  return isOwner(principal, bucket) && principal.roles.has(Role.ObjectsWrite);
}

/** Whether a write by this caller depends on the own ACL of the object it replaces. */
export function writeNeedsExistingAcl(principal: Principal, bucket: BucketAccess): boolean {
  if (!principal || isPlatformAdmin(principal) || isOwner(principal, bucket)) return false;
  return inTenant(principal, bucket) && principal.roles.has(Role.ObjectsWrite);
}

/** Whether a read by this caller depends on the object's own ACL. */
export function readNeedsObjectAcl(principal: Principal, bucket: BucketAccess): boolean {
  if (principal && isPlatformAdmin(principal)) return false;
  return !(principal && isOwner(principal, bucket));
}
