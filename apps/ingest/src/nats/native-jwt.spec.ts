import {
  createAccount,
  createServer,
  createUser,
  decode,
  encodeAuthorizationResponse,
  encodeUser,
} from '@nats-io/jwt';
import { decodeNatsJwt, encodeAuthorizationResponseJwt, encodeUserJwt } from './native-jwt';
import { nativeKeyPair } from './native-key-pair';

/** The claims without what differs between any two encodings: their id and issue time. */
const withoutStamps = (claims: object): object => {
  const copy: Record<string, unknown> = { ...claims };
  delete copy.jti;
  delete copy.iat;
  return copy;
};

describe('native NATS JWTs', () => {
  const issuer = createAccount();
  const native = nativeKeyPair(new TextDecoder().decode(issuer.getSeed()));
  const user = createUser().getPublicKey();
  const server = createServer().getPublicKey();
  const permissions = {
    pub: { allow: ['ingest.tenant-a.*'] },
    sub: { allow: ['_INBOX_tenant-a.>'] },
  };

  it('encode the claims @nats-io/jwt encodes, verifiable by it', async () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    const ours = encodeUserJwt('tenant-a/gw', user, native, permissions, {
      aud: 'TENANT_tenant-a',
      exp,
    });
    const theirs = await encodeUser('tenant-a/gw', user, issuer, permissions, {
      aud: 'TENANT_tenant-a',
      exp,
    });
    expect(withoutStamps(decode(ours))).toEqual(withoutStamps(decode(theirs)));
    const answer = encodeAuthorizationResponseJwt(user, server, native, { jwt: ours });
    const expected = await encodeAuthorizationResponse(user, server, issuer, { jwt: ours }, {});
    expect(withoutStamps(decode(answer))).toEqual(withoutStamps(decode(expected)));
    const refusal = encodeAuthorizationResponseJwt(user, server, native, { error: 'no' });
    expect(decode<{ error: string }>(refusal).nats).toMatchObject({ error: 'no' });
  });

  it('decode what @nats-io/jwt decodes, signature checked', async () => {
    const jwt = await encodeUser('tenant-a/gw', user, issuer, {}, { aud: 'TENANT_tenant-a' });
    expect(decodeNatsJwt(jwt)).toEqual(decode(jwt));
  });

  it('refuse a changed claim, a foreign signature and what is not a JWT', async () => {
    const jwt = await encodeUser('tenant-a/gw', user, issuer, {}, {});
    const [header, body, signature] = jwt.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as { name: string };
    claims.name = 'tenant-b/gw';
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect(() => decodeNatsJwt(forged)).toThrow(/does not verify/);
    const other = await encodeUser('tenant-a/gw', user, createAccount(), {}, {});
    expect(() => decodeNatsJwt(`${header}.${body}.${other.split('.')[2]}`)).toThrow(
      /does not verify/,
    );
    expect(() => decodeNatsJwt('a.b')).toThrow(/not a NATS JWT/);
    const none = Buffer.from('{"typ":"JWT","alg":"none"}').toString('base64url');
    expect(() => decodeNatsJwt(`${none}.${body}.`)).toThrow(/not a NATS JWT/);
  });
});
