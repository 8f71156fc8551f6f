import { Injectable } from '@nestjs/common';
import { MonitorDatabase } from '../database/postgres.client';
import type { ActionKind } from '../evaluation/monitor.machine';

export interface DueAction {
  id: string;
  monitorId: string;
  tenant: string;
  kind: ActionKind;
  payload: Record<string, unknown>;
  attempts: number;
}

/** The outbox of decided actions: claimed, completed or retried here. */
@Injectable()
export class ActionsRepository {
  constructor(private readonly database: MonitorDatabase) {}

  /**
   * Claims due actions in decision order; SKIP LOCKED keeps two replicas from sharing one.
   * A claim hides them from other claims for `leaseSeconds`, which the claiming process
   * renews while it runs them (`renew`): the lease of a process that died ends soon.
   */
  async claimDue(limit: number, leaseSeconds: number): Promise<DueAction[]> {
    const { rows } = await this.database.pool.query<{
      id: string;
      monitor_id: string;
      tenant: string;
      kind: ActionKind;
      payload: Record<string, unknown>;
      attempts: number;
      ord: string;
    }>(
      `UPDATE monitor_actions a
          SET attempts = a.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
         FROM monitors m
        WHERE m.id = a.monitor_id AND a.id IN (
          SELECT id FROM monitor_actions
           WHERE status = 'pending' AND next_attempt_at <= now()
           ORDER BY ord LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING a.id, a.monitor_id, m.tenant, a.kind, a.payload, a.attempts, a.ord`,
      [limit, leaseSeconds],
    );
    return rows
      .sort((a, b) => Number(a.ord) - Number(b.ord))
      .map((row) => ({
        id: row.id,
        monitorId: row.monitor_id,
        tenant: row.tenant,
        kind: row.kind,
        payload: row.payload,
        attempts: row.attempts,
      }));
  }

  /** Extends the lease of actions this process still holds (claimed, not settled). */
  async renew(ids: string[], leaseSeconds: number): Promise<void> {
    if (ids.length === 0) return;
    await this.database.pool.query(
      `UPDATE monitor_actions SET next_attempt_at = now() + make_interval(secs => $2)
        WHERE id = ANY($1::uuid[]) AND status = 'pending'`,
      [ids, leaseSeconds],
    );
  }

  async complete(id: string, result: unknown): Promise<void> {
    await this.database.pool.query(
      `UPDATE monitor_actions SET status = 'done', done_at = now(), result = $2, last_error = NULL WHERE id = $1`,
      [id, JSON.stringify(result ?? null)],
    );
  }

  /** Records a failed attempt: retried after `retryInMs`, or failed for good when null. */
  async failAttempt(id: string, error: string, retryInMs: number | null): Promise<void> {
    if (retryInMs === null) {
      await this.database.pool.query(
        `UPDATE monitor_actions SET status = 'failed', done_at = now(), last_error = $2 WHERE id = $1`,
        [id, error],
      );
      return;
    }
    await this.database.pool.query(
      `UPDATE monitor_actions SET last_error = $2,
              next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1`,
      [id, error, retryInMs / 1000],
    );
  }

  async webhookSecret(monitorId: string): Promise<string | null> {
    const { rows } = await this.database.pool.query<{ webhook_secret: string | null }>(
      'SELECT webhook_secret FROM monitors WHERE id = $1',
      [monitorId],
    );
    return rows[0]?.webhook_secret ?? null;
  }
}
