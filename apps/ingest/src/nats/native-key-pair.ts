import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { fromSeed, type KeyPair } from '@nats-io/jwt';

/** PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding, as nkeys encode seeds and public keys. */
export function base32Decode(text: string): Buffer {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = BASE32.indexOf(char);
    if (value < 0) throw new Error('not an nkey seed');
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/**
 * The callout issuer's key pair with Node's native Ed25519 signing. @nats-io/jwt signs with
 * its pure-JavaScript nkeys (about 100 ms of event loop per callout answer, two signatures,
 * on this machine): under a CONNECT burst that alone held the loop for seconds, past
 * nats-server's auth timeout, refusing every tenant. OpenSSL signs the same bytes the same
 * way (Ed25519 is deterministic) in microseconds; the nkeys pair still checks the seed and
 * gives the public key.
 */
export function nativeKeyPair(seed: string): KeyPair {
  const reference = fromSeed(new TextEncoder().encode(seed));
  const publicKey = reference.getPublicKey();
  // Seed layout: 2 bytes of prefixes, the 32-byte Ed25519 seed, a 2-byte CRC.
  const raw = base32Decode(seed).subarray(2, 34);
  const privateKey: KeyObject = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, raw]),
    format: 'der',
    type: 'pkcs8',
  });
  // @nats-io/jwt asks for it on every encode, to prove the pair can sign; computed once.
  const privateBytes = reference.getPrivateKey();
  return {
    getPublicKey: () => publicKey,
    getPrivateKey: () => privateBytes,
    getSeed: () => reference.getSeed(),
    sign: (input: Uint8Array) => new Uint8Array(sign(null, input, privateKey)),
    verify: (input: Uint8Array, signature: Uint8Array) => reference.verify(input, signature),
    clear: () => reference.clear(),
    // Curve (xkey) operations; an account key has none, the nkeys pair says so.
    seal: (...args) => reference.seal(...args),
    open: (...args) => reference.open(...args),
  };
}
