import { tokens } from './keycloak-tokens';
import { waitFor, type RunningApp } from './service-app';

/**
 * What every app must serve: health, metrics, OpenAPI docs, problem details and a closed
 * door to callers without a token. Each app's integration spec runs this against itself.
 */
export function describeServiceContract(
  appName: string,
  start: () => Promise<RunningApp>,
  readinessChecks: string[],
): void {
  describe(`${appName} service contract`, () => {
    let running: RunningApp;
    beforeAll(async () => {
      running = await start();
    });
    afterAll(async () => {
      await running?.close();
    });

    const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${running.baseUrl}${path}`, { headers });

    it('is live', async () => {
      const response = await get('/health/live');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    });

    it('is ready, having checked each of its backing services', async () => {
      // Connections made after start (the MQTT bridge) may take a moment, as in a pod.
      await waitFor(`${appName} ready`, async () => (await get('/health/ready')).status === 200, {
        timeoutMs: 15_000,
      });
      const response = await get('/health/ready');
      const body = (await response.json()) as {
        status: string;
        info: Record<string, { status: string }>;
      };
      expect(response.status).toBe(200);
      expect(body.status).toBe('ok');
      expect(Object.keys(body.info).sort()).toEqual([...readinessChecks].sort());
      for (const check of readinessChecks) expect(body.info[check]?.status).toBe('up');
    });

    it('serves Prometheus metrics labelled with the app name', async () => {
      await get('/health/live');
      const response = await get('/metrics');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await response.text();
      expect(text).toContain(
        `http_request_duration_seconds_count{app="${appName}",method="GET",route="/health/live",status_code="200"}`,
      );
      expect(text).toContain('process_resident_memory_bytes');
    });

    it('publishes its OpenAPI document and Swagger UI without a token', async () => {
      const document = await get('/docs/openapi.json');
      expect(document.status).toBe(200);
      const openapi = (await document.json()) as {
        openapi: string;
        paths: Record<string, unknown>;
      };
      expect(openapi.openapi).toMatch(/^3\./);
      expect(Object.keys(openapi.paths)).toEqual(
        expect.arrayContaining(['/v1/me', '/health/ready']),
      );
      const ui = await get('/docs');
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('swagger');
    });

    it('documents exactly the path parameters each route template names', async () => {
      const openapi = (await (await get('/docs/openapi.json')).json()) as {
        paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
      };
      const mismatches: string[] = [];
      for (const [path, operations] of Object.entries(openapi.paths)) {
        const named = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
        for (const [method, operation] of Object.entries(operations)) {
          const documented = (operation.parameters ?? [])
            .filter((parameter) => parameter.in === 'path')
            .map((parameter) => parameter.name)
            .sort();
          if (JSON.stringify(documented) !== JSON.stringify(named))
            mismatches.push(`${method} ${path}: ${documented.join(',')}`);
        }
      }
      expect(mismatches).toEqual([]);
    });

    it('refuses a call without a token with 401 problem details and WWW-Authenticate', async () => {
      const response = await get('/v1/me', { 'x-request-id': 'contract-test-1' });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="iotwins"');
      expect(response.headers.get('x-request-id')).toBe('contract-test-1');
      expect(await response.json()).toEqual({
        type: 'urn:iotwins:problem:missing-token',
        title: 'Authentication required',
        status: 401,
        detail: 'This operation needs a bearer access token',
        // InfluxDB clients log this member of a 401.
        error: 'unable to parse authentication credentials',
        instance: '/v1/me',
        requestId: 'contract-test-1',
      });
    });

    it('knows the caller from a real Keycloak token', async () => {
      const response = await get('/v1/me', { authorization: `Bearer ${await tokens.gatewayA()}` });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { tenant: string; clientId: string; roles: string[] };
      expect(body.tenant).toBe('tenant-a');
      expect(body.clientId).toBe('gateway-tenant-a');
      expect(body.roles).toEqual(expect.arrayContaining(['telemetry:write', 'telemetry:read']));
    });

    it('answers an unknown route with 404 problem details', async () => {
      const response = await get('/v1/no-such-route', {
        authorization: `Bearer ${await tokens.gatewayA()}`,
      });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toMatchObject({
        type: 'urn:iotwins:problem:not-found',
        status: 404,
      });
    });
  });
}
