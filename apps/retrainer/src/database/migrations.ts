/**
 * The retrainer's schema, one entry per version, applied in order at start and recorded in
 * retrainer_schema_migrations. Never edit an entry that has shipped: add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'monitors, evaluation state, history, pending observations, actions',
    sql: `
      CREATE TABLE monitors (
        id uuid PRIMARY KEY,
        tenant text NOT NULL,
        model text NOT NULL,
        alias text,
        pinned_version integer,
        spec jsonb NOT NULL,
        -- The webhook secret is kept apart from the spec so it is never returned.
        webhook_secret text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((alias IS NULL) <> (pinned_version IS NULL))
      );
      CREATE INDEX monitors_tenant_model ON monitors (tenant, model);

      -- The engine's running state of a monitor, replaced at every commit that touched it.
      CREATE TABLE monitor_states (
        monitor_id uuid PRIMARY KEY REFERENCES monitors (id) ON DELETE CASCADE,
        state jsonb NOT NULL
      );

      CREATE TABLE monitor_evaluations (
        monitor_id uuid NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        version integer,
        evaluation jsonb NOT NULL,
        PRIMARY KEY (monitor_id, seq)
      );

      CREATE TABLE monitor_transitions (
        monitor_id uuid NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        at timestamptz NOT NULL,
        from_state text NOT NULL,
        to_state text NOT NULL,
        version integer,
        reason text NOT NULL,
        PRIMARY KEY (monitor_id, seq)
      );

      -- Outbox of actions: decided in the same transaction as the state that caused them,
      -- executed after the commit, so a crash neither loses nor repeats a decision.
      CREATE TABLE monitor_actions (
        id uuid PRIMARY KEY,
        -- Decision order: state events of one monitor go out in the order they happened.
        ord bigserial NOT NULL,
        monitor_id uuid NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
        kind text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        result jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        done_at timestamptz
      );
      CREATE INDEX monitor_actions_pending ON monitor_actions (next_attempt_at)
        WHERE status = 'pending';

      -- Predictions and actuals still waiting for their counterpart.
      CREATE TABLE pending_observations (
        tenant text NOT NULL,
        model text NOT NULL,
        pair_key text NOT NULL,
        kind text NOT NULL,
        observation jsonb NOT NULL,
        received_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (tenant, model, pair_key, kind)
      );

      CREATE TABLE observation_counts (
        tenant text NOT NULL,
        model text NOT NULL,
        counts jsonb NOT NULL,
        PRIMARY KEY (tenant, model)
      );

      -- The last OBSERVATIONS stream sequence whose effects are committed here.
      CREATE TABLE consumer_positions (
        consumer text PRIMARY KEY,
        stream_seq bigint NOT NULL
      );
    `,
  },
];
