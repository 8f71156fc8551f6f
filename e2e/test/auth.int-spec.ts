import { Controller, Get, Module, Param } from '@nestjs/common';
import { AppConfigModule } from '@iotwins/config';
import { HealthModule, LoggingModule, MetricsModule } from '@iotwins/observability';
import {
  decodePayload,
  masterRealmAdminToken,
  requireEnv,
  startServiceApp,
  tokens,
  type RunningApp,
} from '@iotwins/testing';
import {
  AuthModule,
  CurrentCaller,
  Role,
  RequireRoles,
  TokenVerifier,
  assertTenantAccess,
  type Caller,
} from '@iotwins/auth';

/** A tenant-scoped resource guarded the way the apps guard theirs. */
@Controller('v1/tenants/:tenant/readings')
class ReadingsController {
  @Get()
  @RequireRoles(Role.TelemetryRead)
  list(@CurrentCaller() caller: Caller, @Param('tenant') tenant: string): { tenant: string } {
    assertTenantAccess(caller, tenant);
    return { tenant };
  }
}

@Controller('v1/monitors')
class MonitorsController {
  @Get()
  @RequireRoles(Role.MonitorsAdmin)
  list(): string[] {
    return [];
  }
}

function testModule(issuer: string, clockToleranceSeconds = 0): typeof Module.prototype {
  @Module({
    imports: [
      AppConfigModule.forRoot({}),
      LoggingModule.forRoot({ appName: 'auth-test', level: 'silent' }),
      MetricsModule.forRoot('auth-test'),
      HealthModule.forRoot({ checks: [], timeoutMs: 1000 }),
      AuthModule.forRoot({ issuer, audience: requireEnv('AUTH_AUDIENCE'), clockToleranceSeconds }),
    ],
    controllers: [ReadingsController, MonitorsController],
  })
  class AuthTestModule {}
  return AuthTestModule;
}

describe('Keycloak bearer authentication (real realm)', () => {
  let running: RunningApp;
  const call = async (path: string, token?: string): Promise<Response> =>
    fetch(`${running.baseUrl}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  beforeAll(async () => {
    running = await startServiceApp({ module: testModule(requireEnv('AUTH_ISSUER')) }, 'auth-test');
  });
  afterAll(async () => running?.close());

  it('accepts a token from the client-credentials grant', async () => {
    const response = await call('/v1/tenants/tenant-a/readings', await tokens.gatewayA());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ tenant: 'tenant-a' });
  });

  it('accepts a user token with the tenant from the user attribute', async () => {
    const response = await call('/v1/tenants/tenant-b/readings', await tokens.bob());
    expect(response.status).toBe(200);
  });

  it('refuses a missing token with 401 and WWW-Authenticate', async () => {
    const response = await call('/v1/tenants/tenant-a/readings');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="iotwins"');
  });

  it('refuses an Authorization header that is not a bearer token', async () => {
    const response = await fetch(`${running.baseUrl}/v1/tenants/tenant-a/readings`, {
      headers: { authorization: 'Basic Zm9vOmJhcg==' },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: 'urn:iotwins:problem:invalid-token' });
  });

  it('refuses a tampered token: claims changed after signing', async () => {
    const token = await tokens.gatewayA();
    const [header, , signature] = token.split('.');
    const claims = { ...decodePayload(token), tenant: 'tenant-b' };
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const response = await call('/v1/tenants/tenant-b/readings', forged);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await response.json()).toMatchObject({ detail: 'token signature is invalid' });
  });

  it('refuses an expired token', async () => {
    const token = await tokens.shortLived();
    const { exp } = decodePayload(token) as { exp: number };
    const wait = exp * 1000 - Date.now() + 1500;
    await new Promise((resolve) => setTimeout(resolve, Math.max(wait, 0)));
    const response = await call('/v1/tenants/tenant-a/readings', token);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ detail: 'token has expired' });
  });

  it('refuses a token without the platform audience', async () => {
    const response = await call('/v1/tenants/tenant-a/readings', await tokens.noAudience());
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ detail: expect.stringContaining('"aud"') });
  });

  it('refuses a token signed by another realm', async () => {
    const response = await call('/v1/tenants/tenant-a/readings', await masterRealmAdminToken());
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: 'urn:iotwins:problem:invalid-token' });
  });

  it('refuses a tenant-A token on tenant B with 403 problem details', async () => {
    for (const token of [await tokens.gatewayA(), await tokens.alice()]) {
      const response = await call('/v1/tenants/tenant-b/readings', token);
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toMatchObject({
        type: 'urn:iotwins:problem:tenant-forbidden',
        detail: 'Your token is for tenant "tenant-a" and cannot act on tenant "tenant-b"',
      });
    }
  });

  it('refuses a caller without the role a route needs with 403', async () => {
    const response = await call('/v1/monitors', await tokens.gatewayA());
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      type: 'urn:iotwins:problem:missing-role',
      requiredRoles: ['monitors:admin'],
    });
  });

  it('lets a platform admin act on any tenant', async () => {
    const token = await tokens.operator();
    expect((await call('/v1/tenants/tenant-b/readings', token)).status).toBe(200);
    expect((await call('/v1/monitors', token)).status).toBe(200);
  });
});

describe('issuer checks (real realm)', () => {
  it('refuses a token whose issuer differs from the configured one, though signed by the same keys', async () => {
    // Keycloak names its issuer after the host it is reached by; localhost and 127.0.0.1
    // give two issuers over one key set.
    const otherIssuer = requireEnv('AUTH_ISSUER').replace('127.0.0.1', 'localhost');
    const verifier = new TokenVerifier({
      issuer: otherIssuer,
      audience: requireEnv('AUTH_AUDIENCE'),
    });
    await expect(verifier.verify(await tokens.gatewayA())).rejects.toThrow(
      'token claim "iss" is not acceptable',
    );
  });
});

describe('signing key rotation (real realm)', () => {
  const base = (): string => requireEnv('KEYCLOAK_URL');
  let adminToken: string;
  let componentUrl: string | undefined;

  beforeAll(async () => {
    adminToken = await masterRealmAdminToken();
  });
  afterAll(async () => {
    if (componentUrl) {
      await fetch(componentUrl, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${adminToken}` },
      });
    }
  });

  it('accepts tokens signed by a new key once Keycloak rotates to it', async () => {
    const verifier = new TokenVerifier({
      issuer: requireEnv('AUTH_ISSUER'),
      audience: requireEnv('AUTH_AUDIENCE'),
      jwksCooldownMs: 500,
    });
    const before = await tokens.gatewayA();
    await expect(verifier.verify(before)).resolves.toMatchObject({ tenant: 'tenant-a' });

    const realm = (await (
      await fetch(`${base()}/admin/realms/iotwins`, {
        headers: { authorization: `Bearer ${adminToken}` },
      })
    ).json()) as { id: string };
    const created = await fetch(`${base()}/admin/realms/iotwins/components`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `rotation-test-${Date.now()}`,
        providerId: 'rsa-generated',
        providerType: 'org.keycloak.keys.KeyProvider',
        parentId: realm.id,
        config: {
          priority: ['10000'],
          enabled: ['true'],
          active: ['true'],
          keySize: ['2048'],
          algorithm: ['RS256'],
        },
      }),
    });
    expect(created.status).toBe(201);
    componentUrl = created.headers.get('location') ?? undefined;

    const after = await tokens.gatewayA();
    const kid = (token: string): unknown =>
      JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')).kid;
    expect(kid(after)).not.toEqual(kid(before));
    await new Promise((resolve) => setTimeout(resolve, 600));
    await expect(verifier.verify(after)).resolves.toMatchObject({ tenant: 'tenant-a' });
  });
});
