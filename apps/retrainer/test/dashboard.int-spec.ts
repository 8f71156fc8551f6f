import type { NatsConnection } from '@nats-io/nats-core';
import { Client, type QueryResultRow } from 'pg';
import { tenantReaderCredentials } from '@iotwins/auth';
import {
  dashboardQueries,
  expandGrafanaSql,
  readGrafanaDashboards,
  requireEnv,
  tokens,
  uniqueName,
  waitFor,
  type AppProcess,
  type DashboardQuery,
} from '@iotwins/testing';
import type { RegistryResponder } from './registry.responder';
import {
  Api,
  publishObservations,
  regressionMonitor,
  windowOf,
  RetrainerTestbed,
} from './retrainer.fixture';

/**
 * The Grafana dashboard of monitors (deploy/grafana/dashboards/every-tenant) against the built
 * retrainer and the real PostgreSQL: every query of the dashboard, filled in as Grafana fills
 * it, run as tenant-a's dashboard reader (the login of tenant-a's provisioned datasource) shows
 * tenant-a's metric, band and state changes; and that login, in an attacker's hands, reaches
 * nothing of tenant-b and changes nothing.
 */
describe('retrainer dashboard readers', () => {
  const testbed = new RetrainerTestbed('retrainer-dash');
  const { database } = testbed;
  const secret = requireEnv('RETRAINER_READER_SECRET');
  const modelA = uniqueName('pq-dash-a');
  const modelB = uniqueName('pq-dash-b');
  let registry: RegistryResponder;
  let retrainer: AppProcess;
  let nc: NatsConnection;
  let alice: Api;
  let bob: Api;
  let monitorA: string;
  let monitorB: string;
  let readersBeforeMonitors: { tenant: string }[];
  const opened: Client[] = [];

  const dashboard = [...readGrafanaDashboards().values()].find(
    (candidate) => candidate.uid === 'iotwins-model-monitors',
  )!;
  const queries = dashboardQueries(dashboard);
  const errorsA = [0.2, 0.4, 1.5, 1.7, 1.9];
  const errorsB = [0.1, 0.3];

  /** A session of a tenant's dashboard reader, as Grafana's datasource opens one. */
  async function connectAs(
    tenant: string,
    options: { password?: string; database?: string } = {},
  ): Promise<Client> {
    const url = new URL(requireEnv('POSTGRES_URL'));
    const credentials = tenantReaderCredentials('monitors', secret, tenant);
    const client = new Client({
      host: url.hostname,
      port: Number(url.port),
      database: options.database ?? database.name,
      user: credentials.user,
      password: options.password ?? credentials.password,
    });
    client.on('error', () => undefined);
    await client.connect();
    opened.push(client);
    return client;
  }

  /** The SQLSTATE of a statement's refusal, or 'ok' with its rows. */
  async function attempt(
    client: Client,
    sql: string,
  ): Promise<{ code: string; rows: QueryResultRow[] }> {
    try {
      const result = await client.query(sql);
      return { code: 'ok', rows: Array.isArray(result) ? [] : result.rows };
    } catch (error) {
      return { code: (error as { code?: string }).code ?? String(error), rows: [] };
    }
  }

  const range = () => ({ from: new Date(Date.now() - 24 * 3600_000), to: new Date() });
  const monitorOptions = async (client: Client): Promise<string[]> => {
    const variable = queries.find((query) => query.where === 'variable monitor')!;
    return (await client.query<{ __value: string }>(variable.text)).rows.map((row) => row.__value);
  };
  const run = async (client: Client, query: DashboardQuery, monitors: string[]) =>
    (await client.query(expandGrafanaSql(query.text, range(), { monitor: monitors }))).rows;
  const panel = (id: number) => queries.find((query) => query.where.startsWith(`panel ${id} `))!;

  beforeAll(async () => {
    ({ registry, nc } = await testbed.start());
    const lineage = { runId: 'run-dash' };
    registry.addVersion('tenant-a', modelA, { version: 1, status: 'ready', metrics: {}, lineage }, [
      'production',
    ]);
    registry.addVersion('tenant-b', modelB, { version: 1, status: 'ready', metrics: {}, lineage }, [
      'production',
    ]);
    // No tenant named at start: the readers must come from the monitors themselves.
    retrainer = await testbed.startProcess({ RETRAINER_DASHBOARD_TENANTS: '' });
    readersBeforeMonitors = await database.query('SELECT tenant FROM dashboard_readers');
    alice = new Api(retrainer.baseUrl, await tokens.alice());
    bob = new Api(retrainer.baseUrl, await tokens.bob());

    // Retrain only: a deactivation would move the alias and start the monitor over, after
    // the state the panels are checked against.
    const created = await alice.request(
      'POST',
      '/v1/monitors',
      regressionMonitor(modelA, { actions: { retrain: true } }),
    );
    expect(created.status).toBe(201);
    monitorA = created.body.id as string;
    const createdB = await bob.request(
      'POST',
      '/v1/monitors',
      regressionMonitor(modelB, {
        actions: {
          retrain: true,
          webhook: { url: 'https://ci.example/hooks/b', secret: 'tenant-b-webhook-secret' },
        },
      }),
    );
    expect(createdB.status).toBe(201);
    monitorB = createdB.body.id as string;

    for (const [index, error] of errorsA.entries()) {
      const { predictions, actuals } = windowOf(`a${index}`, 20, error);
      await publishObservations(nc, 'tenant-a', modelA, 'prediction', predictions);
      await publishObservations(nc, 'tenant-a', modelA, 'actual', actuals);
    }
    for (const [index, error] of errorsB.entries()) {
      const { predictions, actuals } = windowOf(`b${index}`, 20, error);
      await publishObservations(nc, 'tenant-b', modelB, 'prediction', predictions);
      await publishObservations(nc, 'tenant-b', modelB, 'actual', actuals);
    }
    await alice.waitForWindows(monitorA, errorsA.length);
    await bob.waitForWindows(monitorB, errorsB.length);
    await waitFor(
      'tenant-a’s monitor to act',
      async () => (await alice.monitor(monitorA)).state === 'action-taken',
    );
  }, 90_000);

  afterAll(async () => {
    for (const client of opened) await client.end().catch(() => undefined);
    await testbed.close();
  });

  it('makes each tenant’s reader with its first monitor: a login with no rights beyond its views', async () => {
    expect(readersBeforeMonitors).toEqual([]);
    expect(
      await database.query('SELECT role_name, tenant FROM dashboard_readers ORDER BY tenant'),
    ).toEqual([
      { role_name: 'iotwins_monitor_reader_tenant-a', tenant: 'tenant-a' },
      { role_name: 'iotwins_monitor_reader_tenant-b', tenant: 'tenant-b' },
    ]);
    const [role] = await database.query<Record<string, unknown>>(
      `SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,
              rolbypassrls, rolconnlimit,
              (SELECT count(*)::int FROM pg_auth_members m WHERE m.member = r.oid) AS memberships,
              (SELECT count(*)::int FROM pg_auth_members m WHERE m.roleid = r.oid) AS members,
              (SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid a WHERE a.oid = r.oid) AS scram
         FROM pg_roles r WHERE rolname = 'iotwins_monitor_reader_tenant-a'`,
    );
    expect(role).toEqual({
      rolsuper: false,
      rolinherit: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolcanlogin: true,
      rolreplication: false,
      rolbypassrls: false,
      rolconnlimit: 10,
      memberships: 0,
      members: 0,
      scram: true,
    });
    // The only relations it may read in the retrainer's database are the dashboard's views.
    const readable = await database.query<{ relation: string }>(
      `SELECT n.nspname || '.' || c.relname AS relation
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f', 'S')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND has_table_privilege('iotwins_monitor_reader_tenant-a', c.oid, 'SELECT')
        ORDER BY 1`,
    );
    expect(readable.map((row) => row.relation)).toEqual([
      'monitor_dashboard.evaluations',
      'monitor_dashboard.monitors',
      'monitor_dashboard.transitions',
    ]);
  });

  it('runs every query of the dashboard as tenant-a’s reader: tenant-a’s metric, band and state changes', async () => {
    const reader = await connectAs('tenant-a');
    // Every query goes to the PostgreSQL datasource the dashboard's provisioning names.
    expect(new Set(queries.map((query) => query.datasource.uid))).toEqual(
      new Set(['iotwins-monitors']),
    );
    expect(queries.map((query) => query.where)).toEqual([
      'variable monitor',
      'annotation State changes',
      expect.stringMatching(/^panel 1 .*metric against its tolerance band\) A$/),
      expect.stringMatching(/^panel 2 .*state\) A$/),
      expect.stringMatching(/^panel 3 .*input drift against its threshold\) A$/),
      'panel 4 (State changes) A',
    ]);

    // The monitor variable lists tenant-a's monitor, named by its model and metric.
    const variable = await reader.query<{ __value: string; __text: string }>(queries[0]!.text);
    expect(variable.rows).toEqual([
      { __value: monitorA, __text: `${modelA} mae (alias production)` },
    ]);
    const all = await monitorOptions(reader);

    // Panel 1, repeated per monitor: one point per window, the band beside it.
    const metric = await run(reader, panel(1), all);
    expect(metric.map((row) => Object.keys(row))).toEqual(
      errorsA.map(() => ['time', 'metric', 'lower bound', 'upper bound']),
    );
    expect(metric.map((row) => Number(row.metric.toFixed(6)))).toEqual(errorsA);
    expect(metric.every((row) => row['upper bound'] === 1 && row['lower bound'] === null)).toBe(
      true,
    );
    expect(metric.every((row) => row.time instanceof Date)).toBe(true);

    // Panel 2: the state over time, from the transitions table.
    const states = await run(reader, panel(2), all);
    expect(states.map((row) => row.state)).toEqual([
      'collecting',
      'healthy',
      'degraded',
      'action-taken',
    ]);
    // The state at the start of a later range is carried in from the last change before it.
    const later = expandGrafanaSql(
      panel(2).text,
      { from: new Date(Date.now() + 60_000), to: new Date(Date.now() + 120_000) },
      { monitor: all },
    );
    expect((await reader.query(later)).rows.map((row) => row.state)).toEqual(['action-taken']);

    // Panel 3: no drift trigger on this monitor, so no drift windows; the query still runs.
    expect(await run(reader, panel(3), all)).toEqual([]);

    // Panel 4 and the annotations: every state change with its reason.
    const table = await run(reader, panel(4), all);
    expect(table.map((row) => [row.model, row.from, row.to])).toEqual([
      [modelA, 'degraded', 'action-taken'],
      [modelA, 'healthy', 'degraded'],
      [modelA, 'collecting', 'healthy'],
      [modelA, 'collecting', 'collecting'],
    ]);
    expect(table[1]!.reason).toMatch(/2 consecutive/);
    const annotations = await run(reader, queries[1]!, all);
    expect(annotations).toHaveLength(4);
    expect(annotations[2]).toMatchObject({
      text: expect.stringMatching(new RegExp(`^${modelA}: healthy -> degraded \\(`)),
      tags: 'degraded',
    });

    // Nothing of tenant-b in anything the dashboard shows tenant-a.
    const shown = JSON.stringify([variable.rows, metric, states, table, annotations]);
    expect(shown).not.toContain(modelB);
    expect(shown).not.toContain(monitorB);
  });

  it('shows tenant-b its own monitor through its own reader, and nothing of tenant-a', async () => {
    const reader = await connectAs('tenant-b');
    const all = await monitorOptions(reader);
    expect(all).toEqual([monitorB]);
    const metric = await run(reader, panel(1), all);
    expect(metric.map((row) => Number(row.metric.toFixed(6)))).toEqual(errorsB);
    const shown = JSON.stringify([
      metric,
      await run(reader, panel(2), all),
      await run(reader, panel(4), all),
      await run(reader, queries[1]!, all),
    ]);
    expect(shown).not.toContain(modelA);
    expect(shown).not.toContain(monitorA);
  });

  it('gives an attacker with tenant-a’s datasource login no row of tenant-b', async () => {
    const reader = await connectAs('tenant-a');
    // tenant-b's monitor named outright, through the dashboard's own queries and directly.
    for (const query of queries.slice(1)) expect(await run(reader, query, [monitorB])).toEqual([]);
    for (const view of ['monitors', 'evaluations', 'transitions']) {
      expect(
        (
          await reader.query(`SELECT * FROM monitor_dashboard.${view} WHERE monitor_id = $1`, [
            monitorB,
          ])
        ).rows,
      ).toEqual([]);
      // Without any WHERE: tenant-a's rows only.
      const rows = (await reader.query(`SELECT * FROM monitor_dashboard.${view}`)).rows;
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((row) => row.monitor_id))).toEqual(new Set([monitorA]));
    }
    // A function of the caller's in the WHERE sees the rows only after the tenant filter
    // (security_barrier): it would otherwise print tenant-b's rows as notices.
    await reader.query('SET default_transaction_read_only = off');
    const notices: string[] = [];
    reader.on('notice', (notice) => notices.push(notice.message ?? ''));
    expect(
      (
        await attempt(
          reader,
          `CREATE FUNCTION pg_temp.peek(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001
             AS $$ BEGIN RAISE NOTICE 'saw %', $1; RETURN true; END $$`,
        )
      ).code,
    ).toBe('ok');
    await reader.query(
      'SELECT * FROM monitor_dashboard.evaluations WHERE pg_temp.peek(model || monitor_id::text)',
    );
    await reader.query(
      'SELECT * FROM monitor_dashboard.monitors WHERE pg_temp.peek(model || monitor_id::text)',
    );
    expect(notices.length).toBeGreaterThan(0);
    expect(notices.join('\n')).not.toContain(modelB);
    expect(notices.join('\n')).not.toContain(monitorB);
  });

  it('refuses the attacker every table behind the views, the catalog’s secrets and other logins', async () => {
    const reader = await connectAs('tenant-a');
    const tables = await database.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    expect(tables.map((table) => table.name)).toEqual(
      expect.arrayContaining(['monitors', 'monitor_actions', 'dashboard_readers']),
    );
    for (const { name } of tables)
      expect([name, (await attempt(reader, `SELECT * FROM public.${name} LIMIT 1`)).code]).toEqual([
        name,
        '42501',
      ]);
    for (const sql of [
      'SELECT webhook_secret FROM public.monitors',
      'SELECT rolname, rolpassword FROM pg_authid',
      'SELECT usename, passwd FROM pg_shadow',
      "SELECT pg_read_file('/etc/passwd')",
      "SELECT * FROM pg_ls_dir('.')",
      'COPY public.monitors TO STDOUT',
      "SELECT lo_import('/etc/passwd')",
    ])
      expect([sql, (await attempt(reader, sql)).code]).toEqual([sql, '42501']);
    // Other sessions' statements (another tenant's Grafana, the app) stay hidden.
    const others = await reader.query<{ query: string | null }>(
      'SELECT query FROM pg_stat_activity WHERE usename IS DISTINCT FROM current_user',
    );
    expect(
      others.rows.every((row) => row.query === null || row.query === '<insufficient privilege>'),
    ).toBe(true);
    // Logins: a wrong password, and tenant-b's role with tenant-a's password, are refused.
    await expect(connectAs('tenant-a', { password: 'not-the-password' })).rejects.toMatchObject({
      code: '28P01',
    });
    await expect(
      connectAs('tenant-b', {
        password: tenantReaderCredentials('monitors', secret, 'tenant-a').password,
      }),
    ).rejects.toMatchObject({ code: '28P01' });
  });

  it('refuses the attacker every write, every new object and every change of identity', async () => {
    const reader = await connectAs('tenant-a');
    // Sessions start read-only; an attacker turns that off first, and is refused by grants.
    expect((await attempt(reader, 'SHOW default_transaction_read_only')).rows).toEqual([
      { default_transaction_read_only: 'on' },
    ]);
    await reader.query('SET default_transaction_read_only = off');
    const refused = [
      `INSERT INTO public.monitor_transitions (monitor_id, seq, at, from_state, to_state, reason)
         VALUES ('${monitorB}', 99, now(), 'healthy', 'degraded', 'forged')`,
      `UPDATE public.monitors SET model = 'taken' WHERE id = '${monitorB}'`,
      `DELETE FROM public.monitor_evaluations WHERE monitor_id = '${monitorB}'`,
      'TRUNCATE public.monitor_actions',
      `UPDATE monitor_dashboard.monitors SET model = 'taken'`,
      `DELETE FROM monitor_dashboard.transitions`,
      `INSERT INTO public.dashboard_readers VALUES ('iotwins_monitor_reader_tenant-a', 'tenant-b')`,
      `UPDATE public.dashboard_readers SET tenant = 'tenant-b'`,
      'CREATE TABLE stolen (x int)',
      'CREATE TABLE public.stolen (x int)',
      'CREATE TABLE monitor_dashboard.stolen (x int)',
      'CREATE VIEW monitor_dashboard.everything AS SELECT * FROM public.monitors',
      'CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
      'CREATE FUNCTION monitor_dashboard.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
      'CREATE SCHEMA stolen',
      'CREATE EXTENSION dblink',
      'CREATE ROLE stolen LOGIN',
      'CREATE DATABASE stolen',
      'DROP VIEW monitor_dashboard.evaluations',
      'ALTER VIEW monitor_dashboard.monitors OWNER TO CURRENT_USER',
      'GRANT "iotwins_monitor_reader_tenant-b" TO CURRENT_USER',
      "COPY (SELECT 1) TO '/tmp/iotwins-dashboard-reader'",
      `SET ROLE ${requireEnv('POSTGRES_USER')}`,
      'SET ROLE "iotwins_monitor_reader_tenant-b"',
      "SELECT set_config('role', 'iotwins_monitor_reader_tenant-b', false)",
      `SET SESSION AUTHORIZATION ${requireEnv('POSTGRES_USER')}`,
      'SET SESSION AUTHORIZATION "iotwins_monitor_reader_tenant-b"',
      `ALTER ROLE "iotwins_monitor_reader_tenant-a" BYPASSRLS`,
      `ALTER ROLE "iotwins_monitor_reader_tenant-b" PASSWORD 'known-now'`,
    ];
    for (const sql of refused) {
      const outcome = await attempt(reader, sql);
      // 42501 insufficient privilege; 55000 a view that cannot take writes at all; 58P01 no
      // dblink on this server at all. Never 'ok'.
      expect([sql, outcome.code]).toEqual([sql, expect.stringMatching(/^(42501|55000|58P01)$/)]);
    }
    // Another tenant's Grafana sessions cannot be cut off or cancelled either.
    const victim = await connectAs('tenant-b');
    const victimPid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
      .rows[0]!.pid;
    for (const call of ['pg_terminate_backend', 'pg_cancel_backend'])
      expect([call, (await attempt(reader, `SELECT ${call}(${victimPid})`)).code]).toEqual([
        call,
        '42501',
      ]);
    expect((await victim.query('SELECT 1 AS alive')).rows).toEqual([{ alive: 1 }]);
    expect((await reader.query('SELECT current_user, session_user')).rows).toEqual([
      {
        current_user: 'iotwins_monitor_reader_tenant-a',
        session_user: 'iotwins_monitor_reader_tenant-a',
      },
    ]);
    // Nothing of tenant-b changed.
    expect(await database.query('SELECT model FROM monitors WHERE id = $1', [monitorB])).toEqual([
      { model: modelB },
    ]);
    expect(
      await database.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM monitor_evaluations WHERE monitor_id = $1',
        [monitorB],
      ),
    ).toEqual([{ n: errorsB.length }]);
    expect(
      await database.query('SELECT tenant FROM dashboard_readers WHERE role_name = $1', [
        'iotwins_monitor_reader_tenant-a',
      ]),
    ).toEqual([{ tenant: 'tenant-a' }]);
  });

  it('finds nothing to read in the server’s other databases', async () => {
    const admin = new Client({ connectionString: requireEnv('POSTGRES_URL') });
    await admin.connect();
    const databases = (
      await admin.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datallowconn AND datname <> $1 ORDER BY 1',
        [database.name],
      )
    ).rows.map((row) => row.datname);
    await admin.end();
    expect(databases).toEqual(expect.arrayContaining(['postgres']));
    for (const other of databases) {
      let reader: Client;
      try {
        reader = await connectAs('tenant-a', { database: other });
      } catch (error) {
        // Refused at the door (no CONNECT): nothing to read there either.
        expect((error as { code?: string }).code).toMatch(/^(42501|3D000)$/);
        continue;
      }
      const readable = await reader.query<{ relation: string }>(
        `SELECT n.nspname || '.' || c.relname AS relation
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f', 'S')
            AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND has_table_privilege(c.oid, 'SELECT')`,
      );
      // Another retrainer's database shows its own dashboard views, holding monitors of
      // tenant-a only (by that database's own record); nothing else anywhere.
      for (const { relation } of readable.rows) {
        expect([other, relation]).toEqual([other, expect.stringMatching(/^monitor_dashboard\./)]);
        const ids = (
          await reader.query<{ monitor_id: string }>(`SELECT monitor_id FROM ${relation}`)
        ).rows.map((row) => row.monitor_id);
        const owner = new URL(requireEnv('POSTGRES_URL'));
        owner.pathname = `/${other}`;
        const otherAdmin = new Client({ connectionString: owner.toString() });
        await otherAdmin.connect();
        const tenants = await otherAdmin.query<{ tenant: string }>(
          'SELECT DISTINCT tenant FROM monitors WHERE id = ANY($1::uuid[])',
          [ids],
        );
        await otherAdmin.end();
        expect([other, relation, tenants.rows.map((row) => row.tenant)]).toEqual([
          other,
          relation,
          ids.length === 0 ? [] : ['tenant-a'],
        ]);
      }
    }
  });
});
