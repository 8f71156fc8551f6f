import { JWTPayload, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { Caller } from './caller';

export interface TokenVerifierOptions {
  /** Issuer URL of the realm, e.g. http://127.0.0.1:8080/realms/iotwins. */
  issuer: string;
  /** Audience every accepted token must carry. */
  audience: string;
  /**
   * Where this process reaches the realm, when that differs from the issuer that callers
   * see (inside docker-compose or Kubernetes); default: the issuer itself.
   */
  discoveryUrl?: string;
  /** Tolerated clock skew between Keycloak and this process, in seconds. */
  clockToleranceSeconds?: number;
  /** How long a fetched key set is trusted before it is fetched again. */
  jwksCacheMaxAgeMs?: number;
  /**
   * Least time between two fetches of the key set, so a flood of tokens with unknown key ids
   * cannot make this process hammer Keycloak.
   */
  jwksCooldownMs?: number;
}

/** Why a token was refused, in words safe to return to the caller. */
export class InvalidTokenError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

/** Keycloak's claims that carry roles and the tenant. */
interface KeycloakClaims extends JWTPayload {
  azp?: string;
  tenant?: unknown;
  realm_access?: { roles?: unknown };
  resource_access?: Record<string, { roles?: unknown } | undefined>;
}

/** Verified tokens remembered until they expire, at most this many. */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * Verifies access tokens against the realm's signing keys. The key set URL is discovered
 * from the issuer's OpenID configuration; jose caches the keys and fetches them again when a
 * token names a key id it has not seen, which is how Keycloak key rotation shows up.
 */
export class TokenVerifier {
  private readonly verified = new Map<string, { caller: Caller; expiresAtMs: number }>();
  private keySet: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(private readonly options: TokenVerifierOptions) {}

  async verify(token: string): Promise<Caller> {
    // A client reuses its token for minutes; its signature need not be checked per request.
    const known = this.verified.get(token);
    if (known && known.expiresAtMs > Date.now()) return known.caller;
    const keys = await this.keys();
    let payload: KeycloakClaims;
    try {
      ({ payload } = await jwtVerify<KeycloakClaims>(token, keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSeconds ?? 5,
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw new InvalidTokenError(describeFailure(error));
    }
    const caller = this.callerFrom(payload);
    this.remember(token, caller, payload.exp! * 1000);
    return caller;
  }

  private remember(token: string, caller: Caller, expiresAtMs: number): void {
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) {
      // Map order is insertion order: the oldest entry goes first.
      this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(token, { caller, expiresAtMs });
  }

  private callerFrom(payload: KeycloakClaims): Caller {
    if (typeof payload.tenant !== 'string' || payload.tenant.length === 0) {
      throw new InvalidTokenError('token has no tenant claim');
    }
    const roles = new Set<string>(stringArray(payload.realm_access?.roles));
    for (const access of Object.values(payload.resource_access ?? {})) {
      for (const role of stringArray(access?.roles)) roles.add(role);
    }
    return {
      subject: payload.sub!,
      clientId: payload.azp,
      tenant: payload.tenant,
      roles,
    };
  }

  private async keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.keySet) return this.keySet;
    const jwksUri = await this.discoverJwksUri();
    this.keySet = createRemoteJWKSet(new URL(jwksUri), {
      cacheMaxAge: this.options.jwksCacheMaxAgeMs ?? 10 * 60 * 1000,
      cooldownDuration: this.options.jwksCooldownMs ?? 30_000,
      timeoutDuration: 5_000,
    });
    return this.keySet;
  }

  private async discoverJwksUri(): Promise<string> {
    const base = this.options.discoveryUrl ?? this.options.issuer;
    const url = `${base.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    } catch (error) {
      throw new IssuerUnavailableError(
        `cannot reach the token issuer: ${(error as Error).message}`,
      );
    }
    if (!response.ok) {
      throw new IssuerUnavailableError(`issuer discovery answered HTTP ${response.status}`);
    }
    const document = (await response.json()) as { jwks_uri?: unknown; issuer?: unknown };
    if (document.issuer !== this.options.issuer || typeof document.jwks_uri !== 'string') {
      throw new IssuerUnavailableError(
        'issuer discovery document does not match the configured issuer',
      );
    }
    return document.jwks_uri;
  }
}

/** The issuer could not be reached to fetch its keys: a server-side problem, not the caller's. */
export class IssuerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IssuerUnavailableError';
  }
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : [];
}

function describeFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `token claim "${error.claim}" is not acceptable: ${error.reason}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof errors.JWKSNoMatchingKey)
    return 'token was not signed by a key of the issuer';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return 'token is malformed';
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm is not allowed';
  if (error instanceof errors.JOSEError) return `token is invalid (${error.code})`;
  throw error;
}
