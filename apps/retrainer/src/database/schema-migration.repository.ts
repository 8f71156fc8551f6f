import { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Migration } from './migrations';

/** Any number works as long as no other app of the same database uses it. */
const MIGRATION_LOCK_KEY = 7_013_000_013;

/**
 * Applies the migrations not yet recorded, each in its own transaction. An advisory lock
 * makes two replicas starting at once apply each migration once.
 */
export async function applyMigrations(
  pool: Pool,
  migrations: readonly Migration[],
  logger = new Logger('SchemaMigrations'),
): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS retrainer_schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number }>(
      'SELECT version FROM retrainer_schema_migrations',
    );
    const done = new Set(rows.map((row) => row.version));
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query(
          'INSERT INTO retrainer_schema_migrations (version, name) VALUES ($1, $2)',
          [migration.version, migration.name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${migration.version} failed: ${(error as Error).message}`);
      }
      logger.log(`applied schema migration ${migration.version}: ${migration.name}`);
      applied.push(migration.version);
    }
  } finally {
    await client
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    client.release();
  }
  return applied;
}
