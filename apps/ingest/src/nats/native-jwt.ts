import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { KeyPair, Permissions } from '@nats-io/jwt';
import { base32Decode } from './native-key-pair';

/** SubjectPublicKeyInfo DER header of an Ed25519 public key; the 32-byte key follows. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** The algorithm of NATS JWTs v2 (nats-server 2.x signs and accepts these). */
const NATS_JWT_V2 = 'ed25519-nkey';
const publicKeys = new Map<string, KeyObject>();

/** An nkey public key (`N...`, `A...`, `U...`): 1 prefix byte, 32 key bytes, a 2-byte CRC. */
function publicKeyOf(nkey: string): KeyObject {
  let key = publicKeys.get(nkey);
  if (!key) {
    const raw = base32Decode(nkey);
    if (raw.length !== 35) throw new Error('not an nkey public key');
    key = createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, raw.subarray(1, 33)]),
      format: 'der',
      type: 'spki',
    });
    // Issuers are nats-server instances: a handful; bounded anyway.
    if (publicKeys.size > 1_000) publicKeys.clear();
    publicKeys.set(nkey, key);
  }
  return key;
}

/**
 * Decodes a NATS JWT (v2) and checks its signature against its issuer, as @nats-io/jwt's
 * `decode` does, with Node's native Ed25519: the library verifies in pure JavaScript
 * (~25 ms of event loop per callout request here), which under a CONNECT burst held ingest's
 * loop for seconds. Throws on anything that is not a validly signed NATS JWT.
 */
export function decodeNatsJwt<T>(jwt: string): T {
  const parts = jwt.split('.');
  if (parts.length !== 3) throw new Error('not a NATS JWT');
  const [header, body, signature] = parts as [string, string, string];
  const { typ, alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as {
    typ?: string;
    alg?: string;
  };
  if (typ?.toUpperCase() !== 'JWT' || alg !== NATS_JWT_V2) throw new Error('not a NATS JWT');
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T & {
    iss?: unknown;
  };
  if (typeof claims.iss !== 'string') throw new Error('a NATS JWT without issuer');
  const signed = verify(
    null,
    Buffer.from(`${header}.${body}`),
    publicKeyOf(claims.iss),
    Buffer.from(signature, 'base64url'),
  );
  if (!signed) throw new Error('the NATS JWT signature does not verify');
  return claims;
}

const HEADER = Buffer.from(JSON.stringify({ typ: 'JWT', alg: NATS_JWT_V2 })).toString('base64url');

/**
 * Signs NATS JWT (v2) claims exactly as @nats-io/jwt's `encode` does (issuer, issued-at,
 * `jti` = base64 SHA-512 of the claims, version 2), but hashes synchronously: the library
 * hashes through WebCrypto, a thread-pool job per JWT that cost ~1 ms of event loop each
 * under load; two JWTs per callout answer.
 */
function encodeNatsJwt(
  claims: { sub: string; aud: string; exp?: number; name?: string },
  nats: Record<string, unknown>,
  issuer: KeyPair,
): string {
  const claim: Record<string, unknown> = {
    ...claims,
    iss: issuer.getPublicKey(),
    iat: Math.floor(Date.now() / 1000),
    nats: { ...nats, version: 2 },
  };
  claim.jti = createHash('sha512').update(JSON.stringify(claim)).digest('base64');
  const body = Buffer.from(JSON.stringify(claim)).toString('base64url');
  const signature = issuer.sign(Buffer.from(`${HEADER}.${body}`));
  return `${HEADER}.${body}.${Buffer.from(signature).toString('base64url')}`;
}

/** A user JWT (what `encodeUser` makes): `aud` places it in an account (config mode). */
export function encodeUserJwt(
  name: string,
  userKey: string,
  issuer: KeyPair,
  permissions: Permissions,
  options: { aud: string; exp: number },
): string {
  return encodeNatsJwt(
    { name, sub: userKey, aud: options.aud, exp: options.exp },
    // No message, payload or subscription limit of its own: the account's apply.
    { data: -1, payload: -1, subs: -1, ...permissions, type: 'user' },
    issuer,
  );
}

/** The callout's answer to nats-server (`encodeAuthorizationResponse`): a user JWT or an error. */
export function encodeAuthorizationResponseJwt(
  userKey: string,
  serverId: string,
  issuer: KeyPair,
  verdict: { jwt?: string; error?: string },
): string {
  return encodeNatsJwt(
    { sub: userKey, aud: serverId },
    { ...verdict, type: 'authorization_response' },
    issuer,
  );
}
