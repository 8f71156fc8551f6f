import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Pool } from 'pg';
import type { ReadinessCheck } from '@iotwins/observability';
import { MIGRATIONS } from './migrations';
import { applyMigrations } from './schema-migration.repository';

export const POSTGRES_URL = Symbol('POSTGRES_URL');

/** The PostgreSQL pool holding monitors and their windowed metrics. */
@Injectable()
export class MonitorDatabase implements OnModuleInit, OnApplicationShutdown {
  readonly pool: Pool;

  constructor(@Inject(POSTGRES_URL) url: string) {
    this.pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 });
    // An idle client losing its server must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
  }

  /** The schema is brought up to date before anything reads or writes it. */
  async onModuleInit(): Promise<void> {
    await applyMigrations(this.pool, MIGRATIONS);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

@Injectable()
export class PostgresReadiness implements ReadinessCheck {
  readonly name = 'postgresql';

  constructor(private readonly database: MonitorDatabase) {}

  async probe(): Promise<void> {
    await this.database.pool.query('SELECT 1');
  }
}
