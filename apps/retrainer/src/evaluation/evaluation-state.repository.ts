import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { MonitorDatabase } from '../database/postgres.client';
import type { MonitorSpec } from '../monitors/monitor-spec.schema';
import type { PendingObservation } from '../observations/observation-pairer';
import type { MonitorDefinition, RuntimeState } from './monitor.machine';
import type { CommitBatch, ObservationCounts } from './pending-changes';

export interface StoredMonitor {
  definition: MonitorDefinition;
  state: RuntimeState;
}

/** Everything the engine needs to go on where the last commit left off. */
export interface EngineSnapshot {
  monitors: StoredMonitor[];
  pending: PendingObservation[];
  counts: { tenant: string; model: string; counts: ObservationCounts }[];
  position: number;
}

/**
 * The engine's store: one transaction per batch of processed observations, holding the
 * monitors' state, the new history rows, the decided actions, the pending observations and
 * the stream position, so a crash leaves either all of a batch or none of it.
 */
@Injectable()
export class EvaluationStateRepository {
  constructor(private readonly database: MonitorDatabase) {}

  async load(consumer: string): Promise<EngineSnapshot> {
    const pool = this.database.pool;
    const [monitors, pending, counts, position] = await Promise.all([
      pool.query<{
        id: string;
        tenant: string;
        model: string;
        alias: string | null;
        pinned_version: number | null;
        spec: MonitorSpec;
        state: RuntimeState;
      }>(
        `SELECT m.id, m.tenant, m.model, m.alias, m.pinned_version, m.spec, s.state
           FROM monitors m JOIN monitor_states s ON s.monitor_id = m.id`,
      ),
      pool.query<{
        tenant: string;
        model: string;
        pair_key: string;
        kind: 'prediction' | 'actual';
        observation: PendingObservation['observation'];
        received_ms: string;
        expires_ms: string;
      }>(
        `SELECT tenant, model, pair_key, kind, observation,
                (extract(epoch FROM received_at) * 1000)::bigint AS received_ms,
                (extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms
           FROM pending_observations ORDER BY received_at`,
      ),
      pool.query<{ tenant: string; model: string; counts: ObservationCounts }>(
        'SELECT tenant, model, counts FROM observation_counts',
      ),
      pool.query<{ stream_seq: string }>(
        'SELECT stream_seq FROM consumer_positions WHERE consumer = $1',
        [consumer],
      ),
    ]);
    return {
      monitors: monitors.rows.map((row) => ({
        definition: {
          id: row.id,
          tenant: row.tenant,
          model: row.model,
          alias: row.alias,
          pinnedVersion: row.pinned_version,
          spec: row.spec,
        },
        state: row.state,
      })),
      pending: pending.rows.map((row) => ({
        tenant: row.tenant,
        model: row.model,
        pairKey: row.pair_key,
        kind: row.kind,
        observation: row.observation,
        receivedAt: Number(row.received_ms),
        expiresAt: Number(row.expires_ms),
      })),
      counts: counts.rows,
      position: Number(position.rows[0]?.stream_seq ?? 0),
    };
  }

  async commit(consumer: string, batch: CommitBatch): Promise<void> {
    const client = await this.database.pool.connect();
    try {
      await client.query('BEGIN');
      await this.write(client, consumer, batch);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Moves the position past a message whose effects were left out (dead-lettered). */
  async commitPosition(consumer: string, seq: number): Promise<void> {
    await this.database.pool.query(
      `INSERT INTO consumer_positions (consumer, stream_seq) VALUES ($1, $2)
       ON CONFLICT (consumer) DO UPDATE SET stream_seq = GREATEST(consumer_positions.stream_seq, EXCLUDED.stream_seq)`,
      [consumer, seq],
    );
  }

  private async write(client: PoolClient, consumer: string, batch: CommitBatch): Promise<void> {
    // Rows of a monitor deleted meanwhile are dropped by the joins instead of failing the batch.
    if (batch.states.length > 0)
      await client.query(
        `INSERT INTO monitor_states (monitor_id, state)
         SELECT r.id, r.state FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, state jsonb)
           JOIN monitors m ON m.id = r.id
         ON CONFLICT (monitor_id) DO UPDATE SET state = EXCLUDED.state`,
        [JSON.stringify(batch.states)],
      );
    if (batch.evaluations.length > 0)
      await client.query(
        `INSERT INTO monitor_evaluations (monitor_id, seq, version, evaluation)
         SELECT r.monitor_id, r.seq, r.version, r.evaluation
           FROM jsonb_to_recordset($1::jsonb) AS r(monitor_id uuid, seq bigint, version integer, evaluation jsonb)
           JOIN monitors m ON m.id = r.monitor_id
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(batch.evaluations)],
      );
    if (batch.transitions.length > 0)
      await client.query(
        `INSERT INTO monitor_transitions (monitor_id, seq, at, from_state, to_state, version, reason)
         SELECT r.monitor_id, r.seq, r.at, r."from", r."to", r.version, r.reason
           FROM jsonb_to_recordset($1::jsonb)
             AS r(monitor_id uuid, seq bigint, at timestamptz, "from" text, "to" text, version integer, reason text)
           JOIN monitors m ON m.id = r.monitor_id
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(batch.transitions)],
      );
    if (batch.actions.length > 0)
      await client.query(
        // Sorted by decision order so `ord` numbers them as they were decided.
        `INSERT INTO monitor_actions (id, monitor_id, kind, payload)
         SELECT r.id, r.monitor_id, r.kind, r.payload
           FROM jsonb_to_recordset($1::jsonb) AS r(i integer, id uuid, monitor_id uuid, kind text, payload jsonb)
           JOIN monitors m ON m.id = r.monitor_id
          ORDER BY r.i
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(batch.actions.map((action, i) => ({ i, ...action })))],
      );
    if (batch.pendingRemoved.length > 0)
      await client.query(
        `DELETE FROM pending_observations p
          USING jsonb_to_recordset($1::jsonb) AS r(tenant text, model text, "pairKey" text, kind text)
          WHERE p.tenant = r.tenant AND p.model = r.model AND p.pair_key = r."pairKey" AND p.kind = r.kind`,
        [
          JSON.stringify(
            batch.pendingRemoved.map(({ tenant, model, pairKey, kind }) => ({
              tenant,
              model,
              pairKey,
              kind,
            })),
          ),
        ],
      );
    if (batch.pendingAdded.length > 0)
      await client.query(
        `INSERT INTO pending_observations (tenant, model, pair_key, kind, observation, received_at, expires_at)
         SELECT r.tenant, r.model, r."pairKey", r.kind, r.observation,
                to_timestamp(r."receivedAt" / 1000.0), to_timestamp(r."expiresAt" / 1000.0)
           FROM jsonb_to_recordset($1::jsonb)
             AS r(tenant text, model text, "pairKey" text, kind text, observation jsonb, "receivedAt" bigint, "expiresAt" bigint)
         ON CONFLICT (tenant, model, pair_key, kind) DO UPDATE
           SET observation = EXCLUDED.observation, received_at = EXCLUDED.received_at,
               expires_at = EXCLUDED.expires_at`,
        [JSON.stringify(batch.pendingAdded)],
      );
    if (batch.counts.length > 0)
      await client.query(
        `INSERT INTO observation_counts (tenant, model, counts)
         SELECT r.tenant, r.model, r.counts FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, model text, counts jsonb)
         ON CONFLICT (tenant, model) DO UPDATE SET counts = EXCLUDED.counts`,
        [JSON.stringify(batch.counts)],
      );
    if (batch.position !== null)
      await client.query(
        `INSERT INTO consumer_positions (consumer, stream_seq) VALUES ($1, $2)
         ON CONFLICT (consumer) DO UPDATE SET stream_seq = GREATEST(consumer_positions.stream_seq, EXCLUDED.stream_seq)`,
        [consumer, batch.position],
      );
  }
}
