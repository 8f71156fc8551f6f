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
  {
    version: 2,
    name: 'monitor_dashboard schema: per-tenant read-only views for Grafana',
    sql: `
      -- Which tenant each dashboard reader role (iotwins_monitor_reader_<tenant>) stands for.
      -- Not granted to any reader: the views below read it with their owner's rights.
      CREATE TABLE dashboard_readers (
        role_name name PRIMARY KEY,
        tenant text NOT NULL UNIQUE
      );

      -- What Grafana's PostgreSQL datasource of a tenant may read, and nothing else: each view
      -- keeps the rows of the tenant whose reader role runs the query (current_user, which a
      -- view does not change and the reader cannot: it is member of no role). The views read
      -- the tables as their owner, so readers get no grant on any table; security_barrier makes
      -- PostgreSQL apply the tenant filter before any condition or function of the caller's.
      CREATE SCHEMA monitor_dashboard;
      REVOKE ALL ON SCHEMA monitor_dashboard FROM PUBLIC;

      CREATE VIEW monitor_dashboard.monitors WITH (security_barrier) AS
        SELECT m.id AS monitor_id, m.model, m.alias, m.pinned_version,
               m.spec->>'task' AS task, m.spec->>'metric' AS metric,
               (m.spec->'drift') IS NOT NULL AS watches_drift, m.created_at
          FROM monitors m
         WHERE m.tenant = (SELECT r.tenant FROM dashboard_readers r
                            WHERE r.role_name = current_user);

      CREATE VIEW monitor_dashboard.evaluations WITH (security_barrier) AS
        SELECT e.monitor_id, m.model, e.seq, e.version,
               (e.evaluation->>'closedAt')::timestamptz AS closed_at,
               e.evaluation->>'trigger' AS trigger, e.evaluation->>'metric' AS metric,
               e.evaluation->>'feature' AS feature,
               (e.evaluation->>'value')::double precision AS value,
               (e.evaluation->>'lower')::double precision AS lower,
               (e.evaluation->>'upper')::double precision AS upper,
               (e.evaluation->>'outOfBand')::boolean AS out_of_band,
               (e.evaluation->>'judged')::boolean AS judged,
               (e.evaluation->>'observations')::integer AS observations
          FROM monitor_evaluations e
          JOIN monitors m ON m.id = e.monitor_id
         WHERE m.tenant = (SELECT r.tenant FROM dashboard_readers r
                            WHERE r.role_name = current_user);

      CREATE VIEW monitor_dashboard.transitions WITH (security_barrier) AS
        SELECT t.monitor_id, m.model, t.seq, t.at, t.from_state, t.to_state, t.version, t.reason
          FROM monitor_transitions t
          JOIN monitors m ON m.id = t.monitor_id
         WHERE m.tenant = (SELECT r.tenant FROM dashboard_readers r
                            WHERE r.role_name = current_user);
    `,
  },
];
