import { Injectable } from '@nestjs/common';
import { MonitorDatabase } from '../database/postgres.client';
import type {
  MonitorDefinition,
  RuntimeState,
  TransitionRecord,
} from '../evaluation/monitor.machine';
import type { WindowEvaluation } from '@iotwins/messaging';
import type { MonitorSpec } from './monitor-spec.schema';

export interface MonitorRecord {
  definition: MonitorDefinition;
  createdAt: string;
  updatedAt: string;
}

export interface ActionRow {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  lastError: string | null;
  result: unknown;
  payload: unknown;
  createdAt: string;
  doneAt: string | null;
}

interface MonitorRow {
  id: string;
  tenant: string;
  model: string;
  alias: string | null;
  pinned_version: number | null;
  spec: MonitorSpec;
  created_at: Date;
  updated_at: Date;
}

const toRecord = (row: MonitorRow): MonitorRecord => ({
  definition: {
    id: row.id,
    tenant: row.tenant,
    model: row.model,
    alias: row.alias,
    pinnedVersion: row.pinned_version,
    spec: row.spec,
  },
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** Monitors, their state row and their history in PostgreSQL. */
@Injectable()
export class MonitorsRepository {
  constructor(private readonly database: MonitorDatabase) {}

  /** Inserts or replaces a monitor with its fresh state and first transition, atomically. */
  async save(
    definition: MonitorDefinition,
    webhookSecret: string | null,
    state: RuntimeState,
    transition: TransitionRecord,
    replace: boolean,
  ): Promise<void> {
    const client = await this.database.pool.connect();
    try {
      await client.query('BEGIN');
      const values = [
        definition.id,
        definition.tenant,
        definition.model,
        definition.alias,
        definition.pinnedVersion,
        JSON.stringify(definition.spec),
        webhookSecret,
      ];
      if (replace) {
        await client.query(
          `UPDATE monitors SET tenant = $2, model = $3, alias = $4, pinned_version = $5, spec = $6,
                  webhook_secret = $7, updated_at = now() WHERE id = $1`,
          values,
        );
      } else {
        await client.query(
          `INSERT INTO monitors (id, tenant, model, alias, pinned_version, spec, webhook_secret)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          values,
        );
      }
      await client.query(
        `INSERT INTO monitor_states (monitor_id, state) VALUES ($1, $2)
         ON CONFLICT (monitor_id) DO UPDATE SET state = EXCLUDED.state`,
        [definition.id, JSON.stringify(state)],
      );
      await client.query(
        `INSERT INTO monitor_transitions (monitor_id, seq, at, from_state, to_state, version, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          definition.id,
          transition.seq,
          transition.at,
          transition.from,
          transition.to,
          transition.version,
          transition.reason,
        ],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async find(tenant: string, id: string): Promise<MonitorRecord | undefined> {
    const { rows } = await this.database.pool.query<MonitorRow>(
      'SELECT * FROM monitors WHERE tenant = $1 AND id = $2',
      [tenant, id],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async list(tenant: string, model?: string): Promise<MonitorRecord[]> {
    const { rows } = await this.database.pool.query<MonitorRow>(
      `SELECT * FROM monitors WHERE tenant = $1 AND ($2::text IS NULL OR model = $2)
       ORDER BY created_at, id`,
      [tenant, model ?? null],
    );
    return rows.map(toRecord);
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    const { rowCount } = await this.database.pool.query(
      'DELETE FROM monitors WHERE tenant = $1 AND id = $2',
      [tenant, id],
    );
    return (rowCount ?? 0) > 0;
  }

  async evaluations(
    id: string,
    afterWindow: number,
    limit: number,
  ): Promise<(WindowEvaluation & { version: number | null })[]> {
    const { rows } = await this.database.pool.query<{
      version: number | null;
      evaluation: WindowEvaluation;
    }>(
      `SELECT version, evaluation FROM monitor_evaluations
        WHERE monitor_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [id, afterWindow, limit],
    );
    return rows.map((row) => ({ ...row.evaluation, version: row.version }));
  }

  async transitions(id: string, limit: number): Promise<TransitionRecord[]> {
    const { rows } = await this.database.pool.query<{
      seq: string;
      at: Date;
      from_state: TransitionRecord['from'];
      to_state: TransitionRecord['to'];
      version: number | null;
      reason: string;
    }>(
      `SELECT seq, at, from_state, to_state, version, reason FROM monitor_transitions
        WHERE monitor_id = $1 ORDER BY seq LIMIT $2`,
      [id, limit],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      at: row.at.toISOString(),
      from: row.from_state,
      to: row.to_state,
      version: row.version,
      reason: row.reason,
    }));
  }

  /** The monitor's actions (not its state events), in decision order. */
  async actions(id: string, limit: number): Promise<ActionRow[]> {
    const { rows } = await this.database.pool.query<{
      id: string;
      kind: string;
      status: string;
      attempts: number;
      last_error: string | null;
      result: unknown;
      payload: unknown;
      created_at: Date;
      done_at: Date | null;
    }>(
      `SELECT id, kind, status, attempts, last_error, result, payload, created_at, done_at
         FROM monitor_actions WHERE monitor_id = $1 AND kind <> 'state-event' ORDER BY ord LIMIT $2`,
      [id, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      status: row.status,
      attempts: row.attempts,
      lastError: row.last_error,
      result: row.result,
      payload: row.payload,
      createdAt: row.created_at.toISOString(),
      doneAt: row.done_at?.toISOString() ?? null,
    }));
  }
}
