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

  it('signs in well under a millisecond, and @nats-io/jwt takes it as an issuer', async () => {
    const native = nativeKeyPair(seed);
    const input = new TextEncoder().encode('x'.repeat(1_000));
    const started = performance.now();
    for (let i = 0; i < 200; i++) native.sign(input);
    // The nkeys pair needs ~50 ms per signature on a busy 2-core machine.
    expect((performance.now() - started) / 200).toBeLessThan(5);
    const user = createUser().getPublicKey();
    const jwt = await encodeUser('tenant-a/gw', user, native, {}, { aud: 'TENANT_tenant-a' });
    expect(decode<unknown>(jwt)).toMatchObject({
      iss: account.getPublicKey(),
      sub: user,
      aud: 'TENANT_tenant-a',
    });
  });

  it('refuses what is not a seed', () => {
    expect(() => nativeKeyPair('not-a-seed')).toThrow();
  });
});
