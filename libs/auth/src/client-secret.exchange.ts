import { createHash } from 'node:crypto';
import { InvalidTokenError } from './token-verifier';

export interface ClientSecretExchangeOptions {
  issuer: string;
  /** Where this process reaches the realm, if not at the issuer URL. */
  discoveryUrl?: string;
  /** Seconds before expiry at which a cached token is fetched anew. */
  refreshMarginSeconds?: number;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Keycloak refused the client id and secret: the caller's mistake, answered with 401. */
export class ClientSecretRejectedError extends InvalidTokenError {}

/**
 * Lets clients that cannot fetch OIDC tokens (Telegraf, Node-RED, InfluxDB client libraries)
 * authenticate with a Keycloak client id and secret: the secret is exchanged for an access
 * token with the client-credentials grant, and the token is cached until shortly before it
 * expires, so Keycloak sees one request per client per token lifetime, not one per write.
 */
export class ClientSecretExchange {
  private readonly cache = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();
  private tokenEndpoint: string | undefined;

  constructor(private readonly options: ClientSecretExchangeOptions) {}

  async exchange(clientId: string, clientSecret: string): Promise<string> {
    // Keyed by a hash so the cache never holds a secret in clear.
    const key = createHash('sha256').update(`${clientId}\u0000${clientSecret}`).digest('base64url');
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.fetchToken(key, clientId, clientSecret).finally(() =>
        this.pending.delete(key),
      );
      this.pending.set(key, pending);
    }
    return pending;
  }

  private async fetchToken(key: string, clientId: string, clientSecret: string): Promise<string> {
    const response = await fetch(await this.endpoint(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      }),
      signal: AbortSignal.timeout(5_000),
    });
    if (response.status === 400 || response.status === 401) {
      throw new ClientSecretRejectedError(
        'the client id or secret was not accepted by the identity provider',
      );
    }
    if (!response.ok) throw new Error(`token endpoint answered HTTP ${response.status}`);
    const body = (await response.json()) as { access_token?: string; expires_in?: number };
    if (typeof body.access_token !== 'string')
      throw new Error('token endpoint gave no access_token');
    const lifetime = Math.max(
      (body.expires_in ?? 60) - (this.options.refreshMarginSeconds ?? 30),
      1,
    );
    this.cache.set(key, { token: body.access_token, expiresAt: Date.now() + lifetime * 1000 });
    return body.access_token;
  }

  private async endpoint(): Promise<string> {
    if (this.tokenEndpoint) return this.tokenEndpoint;
    const response = await fetch(
      `${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
      {
        signal: AbortSignal.timeout(5_000),
      },
    );
    if (!response.ok) throw new Error(`issuer discovery answered HTTP ${response.status}`);
    const document = (await response.json()) as { token_endpoint?: unknown };
    if (typeof document.token_endpoint !== 'string')
      throw new Error('issuer has no token_endpoint');
    this.tokenEndpoint = document.token_endpoint;
    return this.tokenEndpoint;
  }
}

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/**
 * Reads the credentials InfluxDB clients send: `Authorization: Basic base64(id:secret)`,
 * `Authorization: Token id:secret` (v2 clients), or the v1 query parameters `u` and `p`.
 */
export function clientCredentialsFrom(
  authorization: string | undefined,
  query: Record<string, unknown>,
): ClientCredentials | undefined {
  if (authorization) {
    const [scheme = '', value = ''] = authorization.split(' ', 2);
    let pair: string | undefined;
    if (scheme.toLowerCase() === 'basic') pair = Buffer.from(value, 'base64').toString('utf8');
    else if (scheme.toLowerCase() === 'token') pair = value;
    if (pair === undefined) return undefined;
    const colon = pair.indexOf(':');
    if (colon <= 0 || colon === pair.length - 1) return undefined;
    return { clientId: pair.slice(0, colon), clientSecret: pair.slice(colon + 1) };
  }
  const { u, p } = query;
  if (typeof u === 'string' && typeof p === 'string' && u.length > 0 && p.length > 0) {
    return { clientId: u, clientSecret: p };
  }
  return undefined;
}
