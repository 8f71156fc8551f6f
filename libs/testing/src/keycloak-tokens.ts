/** Fetches real access tokens from the Keycloak realm the services script started. */

function tokenEndpoint(): string {
  const issuer = process.env.AUTH_ISSUER;
  if (!issuer) throw new Error('AUTH_ISSUER is not set; load deploy/local/local.env');
  return `${issuer}/protocol/openid-connect/token`;
}

async function requestToken(
  form: Record<string, string>,
  endpoint = tokenEndpoint(),
): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  const body = (await response.json()) as { access_token?: string; error_description?: string };
  if (!response.ok || !body.access_token) {
    throw new Error(
      `Keycloak refused a token for ${form.client_id}: ${response.status} ${body.error_description ?? ''}`,
    );
  }
  return body.access_token;
}

/** A machine token (client-credentials grant), as an edge gateway gets one. */
export function clientToken(clientId: string, clientSecret: string): Promise<string> {
  return requestToken({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
  });
}

/** A person's token through the public CLI client (password grant, test realm only). */
export function userToken(username: string, password: string): Promise<string> {
  return requestToken({
    grant_type: 'password',
    client_id: 'iotwins-cli',
    username,
    password,
    scope: 'openid',
  });
}

/** Named tokens of the test realm's fixtures. */
export const tokens = {
  gatewayA: () => clientToken('gateway-tenant-a', requireEnv('KEYCLOAK_GATEWAY_TENANT_A_SECRET')),
  gatewayB: () => clientToken('gateway-tenant-b', requireEnv('KEYCLOAK_GATEWAY_TENANT_B_SECRET')),
  alice: () => userToken('alice', requireEnv('KEYCLOAK_ALICE_PASSWORD')),
  /** tenant-a with read roles only. */
  carol: () => userToken('carol', requireEnv('KEYCLOAK_CAROL_PASSWORD')),
  bob: () => userToken('bob', requireEnv('KEYCLOAK_BOB_PASSWORD')),
  operator: () => userToken('operator', requireEnv('KEYCLOAK_OPERATOR_PASSWORD')),
  noAudience: () => clientToken('no-audience', requireEnv('KEYCLOAK_NO_AUDIENCE_SECRET')),
  shortLived: () => clientToken('short-lived', requireEnv('KEYCLOAK_SHORT_LIVED_SECRET')),
};

/** A token of Keycloak's master realm: validly signed, but by another issuer's keys. */
export function masterRealmAdminToken(): Promise<string> {
  const base = requireEnv('KEYCLOAK_URL');
  return requestToken(
    {
      grant_type: 'password',
      client_id: 'admin-cli',
      username: requireEnv('KEYCLOAK_ADMIN_USER'),
      password: requireEnv('KEYCLOAK_ADMIN_PASSWORD'),
    },
    `${base}/realms/master/protocol/openid-connect/token`,
  );
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '')
    throw new Error(`${name} is not set; load deploy/local/local.env`);
  return value;
}

/** Decodes a JWT payload without verifying it, for tests that inspect or tamper with claims. */
export function decodePayload(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}
