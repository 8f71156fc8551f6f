import {
  requireEnv,
  startAppProcess,
  tokens,
  uniqueName,
  waitFor,
  type AppProcess,
} from '@iotwins/testing';

/**
 * Tenant isolation at every door, tried as an attacker would: tenant-b stores data, then
 * tenant-a tries every route, parameter and presigned-URL header trick, and the suite checks
 * that no tenant-b byte comes back and nothing of tenant-b changed. Also: secrets stay out of
 * the logs, query cost limits answer 400/429 naming the limit, metrics need their token.
 */
describe('tenant isolation', () => {
  let ingest: AppProcess;
  let timeseries: AppProcess;
  let objectstore: AppProcess;
  let tokenA: string;
  let tokenB: string;
  let bob: string;
  const measurement = uniqueName('iso_m');
  const secretTag = uniqueName('secret-b');
  const secretValue = 424242.4242;
  const metricsToken = 'metrics-token-of-the-isolation-suite';
  const gatewayA = {
    id: 'gateway-tenant-a',
    secret: requireEnv('KEYCLOAK_GATEWAY_TENANT_A_SECRET'),
  };

  beforeAll(async () => {
    [ingest, timeseries, objectstore] = await Promise.all([
      startAppProcess('ingest', { LOG_LEVEL: 'info', METRICS_TOKEN: metricsToken }),
      startAppProcess('timeseries'),
      startAppProcess('objectstore'),
    ]);
    [tokenA, tokenB, bob] = await Promise.all([tokens.gatewayA(), tokens.gatewayB(), tokens.bob()]);
    const written = await fetch(`${ingest.baseUrl}/v1/points`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenB}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        points: [
          {
            measurement,
            tags: { site: secretTag },
            fields: { v: secretValue },
            time: '2026-11-24T10:00:00Z',
          },
        ],
      }),
    });
    expect(written.status).toBe(202);
    await waitFor('tenant-b point stored', async () =>
      (await pointsOf(tokenB)).includes(secretTag),
    );
  }, 120_000);
  afterAll(async () => {
    await Promise.all([ingest?.stop(), timeseries?.stop(), objectstore?.stop()]);
  });

  const pointsOf = async (token: string, extra = ''): Promise<string> => {
    const response = await fetch(
      `${timeseries.baseUrl}/v1/measurements/${measurement}/points?start=2026-11-24T00:00:00Z&end=2026-11-25T00:00:00Z${extra}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    return response.text();
  };
  const leaks = (text: string): boolean =>
    text.includes(secretTag) || text.includes(String(secretValue));

  /** tenant-b's data is as it was. */
  const tenantBIntact = async (): Promise<void> => {
    const text = await pointsOf(tokenB);
    expect(text).toContain(secretTag);
    expect(text).toContain(String(secretValue));
  };

  describe('REST query routes', () => {
    it('give tenant-a nothing of tenant-b, whatever the route or parameter', async () => {
      const a = { authorization: `Bearer ${tokenA}` };
      const base = `${timeseries.baseUrl}/v1/measurements`;
      const paths = [
        '',
        `/${measurement}/points?start=2026-11-24T00:00:00Z&end=2026-11-25T00:00:00Z`,
        `/${measurement}/points?start=2026-11-24T00:00:00Z&end=2026-11-25T00:00:00Z&tenant=tenant-b`,
        `/${measurement}/last`,
        `/${measurement}/fields`,
        `/${measurement}/tag-keys`,
        `/${measurement}/tag-keys/site/values`,
        `/${measurement}/export?start=2026-11-24T00:00:00Z&end=2026-11-25T00:00:00Z`,
        `/${measurement}/export?format=ndjson&start=2026-11-24T00:00:00Z&end=2026-11-25T00:00:00Z`,
        `/${encodeURIComponent(`"iotwins_tenant-b"."iotwins"."${measurement}"`)}/points`,
      ];
      for (const path of paths) {
        const response = await fetch(`${base}${path}`, { headers: a });
        const text = await response.text();
        expect([path, leaks(text)]).toEqual([path, false]);
        expect(response.status).toBeLessThan(500);
      }
      const retention = await fetch(`${timeseries.baseUrl}/v1/tenants/tenant-b/retention`, {
        headers: a,
      });
      expect(retention.status).toBe(403);
      await tenantBIntact();
    });
  });

  describe('the InfluxDB-compatible /query', () => {
    const influxQuery = async (
      q: string,
      db?: string,
      auth: Record<string, string> = {
        authorization: `Basic ${Buffer.from(`${gatewayA.id}:${gatewayA.secret}`).toString('base64')}`,
      },
    ): Promise<{ status: number; body: Record<string, unknown>; text: string }> => {
      const form = new URLSearchParams({ q });
      if (db) form.set('db', db);
      const response = await fetch(`${timeseries.baseUrl}/query`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      const text = await response.text();
      return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
    };

    it('lists only the own database and answers CREATE DATABASE of the own tenant', async () => {
      const show = await influxQuery('SHOW DATABASES');
      expect(show.status).toBe(200);
      expect(show.body).toEqual({
        results: [
          {
            statement_id: 0,
            series: [{ name: 'databases', columns: ['name'], values: [['tenant-a']] }],
          },
        ],
      });
      expect(await influxQuery('CREATE DATABASE "tenant-a"')).toMatchObject({
        status: 200,
        body: { results: [{ statement_id: 0 }] },
      });
    });

    it("refuses statements naming tenant-b's database as InfluxDB refuses them, with u/p, Basic or Bearer", async () => {
      const attempts: [string, string | undefined][] = [
        [`SELECT * FROM "iotwins_tenant-b"."iotwins"."${measurement}"`, undefined],
        [`SELECT * FROM "${measurement}"`, 'tenant-b'],
        [`SELECT * FROM "${measurement}"`, 'iotwins_tenant-b'],
        ['SHOW MEASUREMENTS', 'tenant-b'],
        [`SHOW TAG VALUES ON "iotwins_tenant-b" WITH KEY = "site"`, undefined],
        [`DROP MEASUREMENT "${measurement}"`, 'tenant-b'],
        ['DROP DATABASE "iotwins_tenant-b"', undefined],
        [`DELETE FROM "${measurement}"`, 'iotwins_tenant-b'],
        ['CREATE DATABASE "tenant-b"', undefined],
        [
          `SELECT * INTO "iotwins_tenant-a"."iotwins"."copy" FROM "iotwins_tenant-b"."iotwins"."${measurement}"`,
          undefined,
        ],
        ['CREATE USER "evil" WITH PASSWORD \'x\' WITH ALL PRIVILEGES', undefined],
      ];
      for (const [q, db] of attempts) {
        const answer = await influxQuery(q, db);
        expect([q, leaks(answer.text)]).toEqual([q, false]);
        expect([q, answer.text]).toEqual([q, expect.stringMatching(/not authorized|requires/)]);
      }
      const bearer = await influxQuery(`SELECT * FROM "${measurement}"`, 'tenant-b', {
        authorization: `Bearer ${tokenA}`,
      });
      expect(bearer.text).toMatch(/not authorized/);
      const response = await fetch(
        `${timeseries.baseUrl}/query?u=${gatewayA.id}&p=${gatewayA.secret}&db=tenant-b&q=${encodeURIComponent(`SELECT * FROM "${measurement}"`)}`,
      );
      const text = await response.text();
      expect(text).toMatch(/not authorized/);
      expect(leaks(text)).toBe(false);
      await tenantBIntact();
    });

    it('reads the own data, and refuses a wrong secret', async () => {
      const bAuth = {
        authorization: `Basic ${Buffer.from(`gateway-tenant-b:${requireEnv('KEYCLOAK_GATEWAY_TENANT_B_SECRET')}`).toString('base64')}`,
      };
      const own = await influxQuery(`SELECT "v", "site" FROM "${measurement}"`, 'tenant-b', bAuth);
      expect(own.status).toBe(200);
      expect(own.text).toContain(secretTag);
      const wrong = await influxQuery('SHOW DATABASES', undefined, {
        authorization: `Basic ${Buffer.from(`${gatewayA.id}:wrong-guess`).toString('base64')}`,
      });
      expect(wrong.status).toBe(401);
    });
  });

  describe('objectstore routes and presigned URLs', () => {
    it("reach no object of tenant-b by any route, parameter or URL header; tenant-b's object is unchanged", async () => {
      const api =
        (token: string) => async (method: string, path: string, body?: string, json?: unknown) =>
          fetch(`${objectstore.baseUrl}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${token}`,
              ...(json === undefined ? {} : { 'content-type': 'application/json' }),
            },
            body: json === undefined ? body : JSON.stringify(json),
          });
      const asB = api(bob);
      const asA = api(await tokens.alice());
      const theirs = uniqueName('iso-b').toLowerCase();
      const mine = uniqueName('iso-a').toLowerCase();
      expect((await asB('POST', '/v1/buckets', undefined, { name: theirs })).status).toBe(201);
      expect(
        (await asB('PUT', `/v1/buckets/${theirs}/objects/secret.txt`, 'tenant-b bytes')).status,
      ).toBe(200);
      expect((await asA('POST', '/v1/buckets', undefined, { name: mine })).status).toBe(201);
      const theirUrl = (
        (await (
          await asB('POST', `/v1/buckets/${theirs}/presigned-urls`, undefined, {
            method: 'GET',
            keys: ['secret.txt'],
          })
        ).json()) as { urls: { url: string }[] }
      ).urls[0]!.url;
      const theirPhysical = new URL(theirUrl).pathname.split('/')[1];

      // Every objectstore route, as tenant-a, on tenant-b's bucket: nothing found, nothing changed.
      const physicalName = theirPhysical!;
      const attempts: [string, string, unknown?][] = [
        ['GET', `/v1/buckets/${theirs}`],
        ['GET', `/v1/buckets/${theirs}?tenant=tenant-b`],
        ['GET', `/v1/buckets/${theirs}/acl`],
        ['PUT', `/v1/buckets/${theirs}/acl`, { acl: 'public-read' }],
        ['GET', `/v1/buckets/${theirs}/objects`],
        ['GET', `/v1/buckets/${theirs}/objects/secret.txt`],
        ['GET', `/v1/buckets/${theirs}/objects/secret.txt?tenant=tenant-b`],
        ['HEAD', `/v1/buckets/${theirs}/objects/secret.txt`],
        ['GET', `/v1/buckets/${theirs}/object-acls/secret.txt`],
        ['PUT', `/v1/buckets/${theirs}/object-acls/secret.txt`, { acl: 'public-read' }],
        ['DELETE', `/v1/buckets/${theirs}/objects/secret.txt`],
        ['DELETE', `/v1/buckets/${theirs}?force=true`],
        [
          'POST',
          `/v1/buckets/${mine}/copies`,
          { key: 'c1', sourceBucket: theirs, sourceKey: 'secret.txt' },
        ],
        [
          'POST',
          `/v1/buckets/${mine}/copies`,
          { key: 'c2', sourceBucket: physicalName, sourceKey: 'secret.txt' },
        ],
        ['GET', `/v1/buckets/${physicalName}/objects/secret.txt`],
        ['GET', `/v1/public/tenant-b/${theirs}/secret.txt`],
      ];
      for (const [method, path, json] of attempts) {
        const response = await asA(method, path, undefined, json);
        const text = await response.text();
        expect([method, path, response.status < 300 || text.includes('tenant-b bytes')]).toEqual([
          method,
          path,
          false,
        ]);
      }
      const listing = await asA('GET', '/v1/buckets');
      expect(await listing.text()).not.toContain(theirs);
      expect((await asA('GET', `/v1/buckets/${mine}/objects/c1`)).status).toBe(404);
      expect((await asA('GET', `/v1/buckets/${mine}/objects/c2`)).status).toBe(404);
      const theirAcl = await asB('GET', `/v1/buckets/${theirs}/acl`);
      expect(await theirAcl.json()).toMatchObject({ acl: 'private' });
      expect(await (await asB('GET', `/v1/buckets/${theirs}/objects/secret.txt`)).text()).toBe(
        'tenant-b bytes',
      );

      // tenant-a cannot presign in tenant-b's bucket, nor read it through the API.
      expect(
        (
          await asA('POST', `/v1/buckets/${theirs}/presigned-urls`, undefined, {
            method: 'GET',
            keys: ['secret.txt'],
          })
        ).status,
      ).toBe(404);
      expect((await asA('GET', `/v1/buckets/${theirs}/objects/secret.txt`)).status).toBe(404);

      const put = (
        (await (
          await asA('POST', `/v1/buckets/${mine}/presigned-urls`, undefined, {
            method: 'PUT',
            keys: ['loot.txt'],
          })
        ).json()) as { urls: { url: string }[] }
      ).urls[0]!.url;
      const tricks: Record<string, string>[] = [
        { 'x-amz-copy-source': `/${theirPhysical}/secret.txt` },
        {
          'x-amz-copy-source': `${theirPhysical}/secret.txt`,
          'x-amz-metadata-directive': 'REPLACE',
        },
        { 'x-amz-tagging': 'iotwins-acl=public-read' },
      ];
      for (const headers of tricks) {
        const attempt = await fetch(put, {
          method: 'PUT',
          headers,
          body: headers['x-amz-tagging'] ? 'x' : undefined,
        });
        expect(attempt.status).toBe(403);
      }
      const loot = await asA('GET', `/v1/buckets/${mine}/objects/loot.txt`);
      expect(loot.status).toBe(404);
      expect(await (await asB('GET', `/v1/buckets/${theirs}/objects/secret.txt`)).text()).toBe(
        'tenant-b bytes',
      );
      // The GET URL of tenant-b's object cannot be bent to write it.
      expect((await fetch(theirUrl, { method: 'PUT', body: 'overwritten' })).status).toBe(403);
      expect(await (await asB('GET', `/v1/buckets/${theirs}/objects/secret.txt`)).text()).toBe(
        'tenant-b bytes',
      );
    });
  });

  describe('query cost limits and hostile query input', () => {
    const get = (path: string, token = tokenA) =>
      fetch(`${timeseries.baseUrl}/v1/measurements/${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });

    it("exports the own data in both formats, and an empty export of a measurement that isn't there", async () => {
      const range = 'start=2026-11-24T00:00:00Z&end=2026-11-25T00:00:00Z';
      const csv = await get(`${measurement}/export?${range}`, tokenB);
      expect(csv.status).toBe(200);
      expect(await csv.text()).toBe(
        `time,tag:site,field:v:float\n2026-11-24T10:00:00.000000000Z,${secretTag},${secretValue}\n`,
      );
      const ndjson = await get(`${measurement}/export?format=ndjson&${range}`, tokenB);
      expect(JSON.parse(await ndjson.text())).toEqual({
        measurement,
        tags: { site: secretTag },
        fields: { v: secretValue },
        time: '2026-11-24T10:00:00.000000000Z',
      });
      const none = await get(`${uniqueName('nothing')}/export?format=ndjson&${range}`, tokenB);
      expect(none.status).toBe(200);
      expect(await none.text()).toBe('');
    });

    it('refuses an aggregation of too many windows, naming the limit and its value', async () => {
      const response = await get(
        `${measurement}/points?start=2000-01-01T00:00:00Z&aggregate=mean&every=1ns`,
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        type: 'urn:iotwins:problem:query-too-costly',
        limit: 'TIMESERIES_QUERY_MAX_WINDOWS',
        value: 10_000,
      });
    });

    it.each([
      ['m%0D/points'],
      ['m%0A/points'],
      ['m%00/points'],
      ['m/points?fields=v%0A'],
      ['m/points?tag.site=x%00'],
      ['m/points?tag.si%0Dte=x'],
      ['m%0A/fields'],
      ['m/tag-keys/k%00/values'],
      ['m/points?start=0001-01-01T00:00:00Z'],
      ['m/points?end=9999-12-31T00:00:00Z'],
      ['m/points?start=-9223372036854775808'],
      ['m/points?start=0&aggregate=mean&every=9999999w'],
      ['m/export?start=0001-01-01T00:00:00Z'],
      ['m/export?format=ndjson&start=-99999999999999999999'],
    ])('answers 400 to %s', async (path) => {
      const response = await get(path);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });

    it('stops a query past its timeout and refuses more queries at once than the tenant limit', async () => {
      const limited = await startAppProcess('timeseries', {
        TIMESERIES_QUERY_TIMEOUT_MS: '1',
        TIMESERIES_QUERY_MAX_CONCURRENT_PER_TENANT: '1',
      });
      try {
        const ask = () =>
          fetch(
            `${limited.baseUrl}/v1/measurements/${measurement}/points?start=2026-11-24T00:00:00Z&end=2026-11-25T00:00:00Z`,
            { headers: { authorization: `Bearer ${tokenB}` } },
          );
        const answers = await Promise.all(Array.from({ length: 8 }, ask));
        const problems = (await Promise.all(answers.map((r) => r.json()))) as Record<
          string,
          unknown
        >[];
        const statuses = answers.map((r) => r.status);
        expect(statuses).toContain(429);
        const tooMany = problems[statuses.indexOf(429)]!;
        expect(tooMany).toMatchObject({
          type: 'urn:iotwins:problem:too-many-queries',
          limit: 'TIMESERIES_QUERY_MAX_CONCURRENT_PER_TENANT',
          value: 1,
        });
        expect(answers[statuses.indexOf(429)]!.headers.get('retry-after')).toBe('1');
        const timeout = await ask();
        expect(timeout.status).toBe(400);
        expect(await timeout.json()).toMatchObject({
          type: 'urn:iotwins:problem:query-timeout',
          limit: 'TIMESERIES_QUERY_TIMEOUT_MS',
          value: 1,
        });
      } finally {
        await limited.stop();
      }
    });
  });

  describe('logs and metrics', () => {
    it('logs the /write request without the client secret, the paired id or a token', async () => {
      const guess = 'a-wrong-guess-of-the-secret';
      const accessToken = 'eyJhbGciOiJSUzI1NiJ9.leaked-token-value';
      const written = await fetch(
        `${ingest.baseUrl}/write?db=tenant-a&u=${gatewayA.id}&p=${gatewayA.secret}`,
        {
          method: 'POST',
          body: `${uniqueName('logcheck')} v=1`,
          headers: { 'content-type': 'text/plain' },
        },
      );
      expect(written.status).toBe(204);
      await fetch(`${ingest.baseUrl}/write?db=tenant-a&u=${gatewayA.id}&p=${guess}`, {
        method: 'POST',
        body: 'm v=1',
      });
      await fetch(`${ingest.baseUrl}/v1/me?access_token=${accessToken}`);
      await fetch(`${ingest.baseUrl}/v1/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      await waitFor(
        'the request log lines',
        async () => (ingest.output().match(/\/v1\/me/g) ?? []).length >= 2,
      );
      const output = ingest.output();
      expect(output).toContain('/write?db=tenant-a&u=[masked]&p=[masked]');
      for (const secret of [gatewayA.secret, guess, accessToken, `u=${gatewayA.id}`])
        expect([secret, output.includes(secret)]).toEqual([secret, false]);
    });

    it('serves metrics only with the configured token', async () => {
      expect((await fetch(`${ingest.baseUrl}/metrics`)).status).toBe(401);
      expect(
        (
          await fetch(`${ingest.baseUrl}/metrics`, {
            headers: { authorization: 'Bearer wrong-token-of-same-len!!!!!!!!!!!' },
          })
        ).status,
      ).toBe(401);
      const scraped = await fetch(`${ingest.baseUrl}/metrics`, {
        headers: { authorization: `Bearer ${metricsToken}` },
      });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('process_cpu');
    });
  });
});
