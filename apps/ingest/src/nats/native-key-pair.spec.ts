import { createAccount, createUser, decode, encodeUser } from '@nats-io/jwt';
import { nativeKeyPair } from './native-key-pair';

describe('nativeKeyPair', () => {
  const account = createAccount();
  const seed = new TextDecoder().decode(account.getSeed());

  it('signs exactly as the nkeys pair does (Ed25519 is deterministic)', () => {
    const native = nativeKeyPair(seed);
    const input = new TextEncoder().encode('header.claims');
    expect(native.getPublicKey()).toBe(account.getPublicKey());
    expect(Buffer.from(native.sign(input))).toEqual(Buffer.from(account.sign(input)));
    expect(account.verify(input, native.sign(input))).toBe(true);
  });

  it('issues user JWTs that verify against the issuer, in well under a millisecond each', async () => {
    const native = nativeKeyPair(seed);
    const user = createUser().getPublicKey();
    const started = performance.now();
    let jwt = '';
    for (let i = 0; i < 200; i++)
      jwt = await encodeUser('tenant-a/gw', user, native, {}, { aud: 'TENANT_tenant-a' });
    // The nkeys pair needs ~50 ms per signature here; 200 native ones take a few ms.
    expect((performance.now() - started) / 200).toBeLessThan(5);
    const claims = decode<unknown>(jwt);
    expect(claims).toMatchObject({
      iss: account.getPublicKey(),
      sub: user,
      aud: 'TENANT_tenant-a',
    });
  });

  it('refuses what is not a seed', () => {
    expect(() => nativeKeyPair('not-a-seed')).toThrow();
  });
});
