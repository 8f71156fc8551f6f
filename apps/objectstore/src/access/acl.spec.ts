import { Role, type Caller } from '@iotwins/auth';
import {
  mayAdministerBucket,
  mayListBucket,
  mayReadObject,
  mayWriteObject,
  type Acl,
  type BucketAccess,
  type Principal,
} from './acl';

const caller = (subject: string, tenant: string, roles: string[]): Caller => ({
  subject,
  clientId: undefined,
  tenant,
  roles: new Set(roles),
});

const principals: Record<string, Principal> = {
  owner: caller('alice', 'tenant-a', [Role.ObjectsRead, Role.ObjectsWrite]),
  writer: caller('gateway', 'tenant-a', [Role.ObjectsRead, Role.ObjectsWrite]),
  reader: caller('carol', 'tenant-a', [Role.ObjectsRead]),
  otherTenant: caller('bob', 'tenant-b', [Role.ObjectsRead, Role.ObjectsWrite]),
  admin: caller('operator', 'platform', [Role.PlatformAdmin]),
  anonymous: undefined,
};

const bucket = (acl: Acl): BucketAccess => ({ tenant: 'tenant-a', owner: 'alice', acl });

// The matrix as the docs state it, one row per effective ACL: who may read an object.
const reads: Record<Acl, string[]> = {
  private: ['owner', 'admin'],
  'tenant-read': ['owner', 'writer', 'reader', 'admin'],
  'tenant-write': ['owner', 'writer', 'reader', 'admin'],
  'public-read': ['owner', 'writer', 'reader', 'otherTenant', 'admin', 'anonymous'],
};
const writes: Record<Acl, string[]> = {
  private: ['owner', 'admin'],
  'tenant-read': ['owner', 'admin'],
  'tenant-write': ['owner', 'writer', 'admin'],
  'public-read': ['owner', 'admin'],
};

describe('object ACLs', () => {
  for (const acl of Object.keys(reads) as Acl[]) {
    for (const [who, principal] of Object.entries(principals)) {
      const mayRead = reads[acl].includes(who);
      const mayWrite = writes[acl].includes(who);
      it(`${acl}: ${who} ${mayRead ? 'may' : 'may not'} read, ${mayWrite ? 'may' : 'may not'} write`, () => {
        expect(mayReadObject(principal, bucket(acl), undefined)).toBe(mayRead);
        expect(mayWriteObject(principal, bucket(acl), undefined)).toBe(mayWrite);
      });
    }
  }

  it('an object ACL overrides the bucket ACL both ways', () => {
    const { writer, anonymous } = principals;
    expect(mayReadObject(writer, bucket('private'), 'tenant-read')).toBe(true);
    expect(mayReadObject(writer, bucket('tenant-write'), 'private')).toBe(false);
    expect(mayReadObject(anonymous, bucket('private'), 'public-read')).toBe(true);
    expect(mayReadObject(anonymous, bucket('public-read'), 'private')).toBe(false);
    expect(mayWriteObject(writer, bucket('tenant-write'), 'private')).toBe(false);
    expect(mayWriteObject(writer, bucket('private'), 'tenant-write')).toBe(true);
  });

  it('only the owner and admins administer a bucket; readers of a shared bucket may list it', () => {
    for (const acl of ['private', 'tenant-read', 'tenant-write', 'public-read'] as Acl[]) {
      const allowed = Object.entries(principals)
        .filter(([, p]) => mayAdministerBucket(p, bucket(acl)))
        .map(([who]) => who);
      expect(allowed).toEqual(['owner', 'admin']);
    }
    expect(mayListBucket(principals.reader, bucket('private'))).toBe(false);
    expect(mayListBucket(principals.reader, bucket('tenant-read'))).toBe(true);
    expect(mayListBucket(principals.otherTenant, bucket('public-read'))).toBe(false);
    expect(mayListBucket(principals.anonymous, bucket('public-read'))).toBe(false);
  });

  it('a role is needed whatever the ACL grants', () => {
    const noRoles = caller('dave', 'tenant-a', []);
    expect(mayReadObject(noRoles, bucket('tenant-write'), undefined)).toBe(false);
    expect(mayWriteObject(noRoles, bucket('tenant-write'), undefined)).toBe(false);
    const ownerWithoutWrite = caller('alice', 'tenant-a', [Role.ObjectsRead]);
    expect(mayWriteObject(ownerWithoutWrite, bucket('private'), undefined)).toBe(false);
  });
});
