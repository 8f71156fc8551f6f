import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { escapeIdentifier, escapeLiteral, type PoolClient } from 'pg';
import type { TenantReaderCredentials } from '@iotwins/auth';
import { MonitorDatabase } from '../database/postgres.client';
import { scramSha256Verifier } from './scram-verifier';

/** The views of migration 2 a reader may select from; nothing else is granted. */
const DASHBOARD_VIEWS = [
  'monitor_dashboard.monitors',
  'monitor_dashboard.evaluations',
  'monitor_dashboard.transitions',
];
/** Sessions one reader may hold: Grafana's pool, with room for an editor's tests. */
const CONNECTION_LIMIT = 10;
/** Readers of one database are made one at a time (any number no other app of it uses). */
const READERS_LOCK_KEY = 7_013_000_014;
/** Roles are cluster-wide: retrainers of other databases may make the same one at once. */
const ATTEMPTS = 5;
/** duplicate_object, unique_violation, and "tuple concurrently updated" (internal_error). */
const RACE_CODES = new Set(['42710', '23505', 'XX000']);

/** A role name PostgreSQL would truncate (63 bytes) could collide with another tenant's. */
export const MAX_ROLE_NAME_BYTES = 63;

/**
 * The PostgreSQL roles Grafana's per-tenant datasources log in as. Each may log in, use the
 * monitor_dashboard schema and select from its views, which show the rows of the role's own
 * tenant (dashboard_readers maps role to tenant); it owns nothing, is member of no role (so
 * SET ROLE has nowhere to go), and may not create databases, roles or schema objects.
 */
@Injectable()
export class DashboardReadersRepository {
  constructor(private readonly database: MonitorDatabase) {}

  /** Tenants that have monitors in this database. */
  async tenantsWithMonitors(): Promise<string[]> {
    const { rows } = await this.database.pool.query<{ tenant: string }>(
      'SELECT DISTINCT tenant FROM monitors ORDER BY tenant',
    );
    return rows.map((row) => row.tenant);
  }

  /** Creates the tenant's reader, or resets it to exactly these rights and this password. */
  async ensure(tenant: string, credentials: TenantReaderCredentials): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.database.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [READERS_LOCK_KEY]);
        await this.provision(client, tenant, credentials);
        await client.query('COMMIT');
        return;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        const code = (error as { code?: string }).code;
        if (attempt >= ATTEMPTS || !code || !RACE_CODES.has(code)) throw error;
      } finally {
        client.release();
      }
      await sleep(50 * attempt);
    }
  }

  private async provision(
    client: PoolClient,
    tenant: string,
    { user, password }: TenantReaderCredentials,
  ): Promise<void> {
    const role = escapeIdentifier(user);
    const { rows } = await client.query<{ rolsuper: boolean; memberships: number }>(
      `SELECT r.rolsuper,
              (SELECT count(*)::int FROM pg_auth_members a WHERE a.member = r.oid) AS memberships
         FROM pg_roles r WHERE r.rolname = $1`,
      [user],
    );
    const existing = rows[0];
    // A role of this name with more than a reader's rights was not made here: refuse to hand
    // it to Grafana rather than guess which of its rights to take away.
    if (existing && (existing.rolsuper || existing.memberships > 0))
      throw new Error(`role ${user} exists with a superuser flag or role memberships`);
    await client.query(
      `${existing ? 'ALTER' : 'CREATE'} ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB
         NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${CONNECTION_LIMIT}
         PASSWORD ${escapeLiteral(scramSha256Verifier(password))}`,
    );
    // Defaults for Grafana's sessions (a reader may change them for its own session only).
    await client.query(`ALTER ROLE ${role} SET search_path = monitor_dashboard`);
    await client.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
    await client.query(`ALTER ROLE ${role} SET statement_timeout = '30s'`);
    await client.query(
      `INSERT INTO dashboard_readers (role_name, tenant) VALUES ($1, $2)
       ON CONFLICT (role_name) DO UPDATE SET tenant = EXCLUDED.tenant`,
      [user, tenant],
    );
    await client.query(`GRANT USAGE ON SCHEMA monitor_dashboard TO ${role}`);
    await client.query(`GRANT SELECT ON ${DASHBOARD_VIEWS.join(', ')} TO ${role}`);
  }
}
