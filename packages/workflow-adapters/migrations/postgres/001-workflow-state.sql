-- The RabbitMQ/PostgreSQL transport's run state (issue #6). Applied once, in one
-- transaction, by src/postgres/migrate.ts (scripts/setup runs it); a later change is a
-- new numbered file, never an edit of this one (the migrator refuses edited files).
-- IF NOT EXISTS everywhere, so a hand-run of this file on a migrated database is harmless.

-- The seed's context table: a run's shared context, one row per run.
CREATE TABLE IF NOT EXISTS flowcraft_contexts (
  run_id text PRIMARY KEY,
  context_data jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The seed's status table, also the run's identity (there is no separate runs table).
-- last_seq: the run's last event sequence number; a commit is a compare-and-set on it
--   (UPDATE ... SET last_seq = $new WHERE run_id = $1 AND last_seq = $expected), so of two
--   writers that read the same state only the first commits and numbers stay gap-free.
-- fencing_token: the highest lease token a commit was made with; older tokens are refused.
-- Query (the reconciler): SELECT run_id, updated_at FROM flowcraft_statuses
--   WHERE status = 'running' AND updated_at < now() - $1 * interval '1 second'
--   ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED;  -- served by the index below
CREATE TABLE IF NOT EXISTS flowcraft_statuses (
  run_id text PRIMARY KEY,
  status_data jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL
    CONSTRAINT flowcraft_statuses_status_check
    CHECK (status IN ('running', 'paused', 'completed', 'failed', 'cancelled')),
  status_reason text,
  workflow_id text NOT NULL,
  workflow_version text NOT NULL,
  correlation_id text NOT NULL,
  -- Which transport runs it; every run in this table is the RabbitMQ/PostgreSQL one's today.
  transport text NOT NULL DEFAULT 'rabbitmq'
    CONSTRAINT flowcraft_statuses_transport_check CHECK (transport IN ('kafka', 'rabbitmq')),
  last_seq bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
  fencing_token bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS flowcraft_statuses_status_updated_at_idx
  ON flowcraft_statuses (status, updated_at);

-- One row per node attempt's result (never a read-modify-write of a run blob). Skipped
-- nodes use attempt 0. recorded_order gives results in recording order (readRun), also
-- when two share a recorded_at. The run's row must exist by the end of the transaction
-- that records a result (deferred, so a commit may write in any order).
-- Query: SELECT ... FROM flowcraft_node_results WHERE run_id = $1 ORDER BY recorded_order;
CREATE TABLE IF NOT EXISTS flowcraft_node_results (
  run_id text NOT NULL,
  node_id text NOT NULL,
  attempt integer NOT NULL CHECK (attempt >= 0),
  status text NOT NULL CHECK (status IN ('completed', 'failed', 'skipped')),
  fencing_token bigint NOT NULL,
  output jsonb,
  error jsonb,
  action text,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  recorded_order bigserial NOT NULL,
  PRIMARY KEY (run_id, node_id, attempt),
  CONSTRAINT flowcraft_node_results_run_fkey FOREIGN KEY (run_id)
    REFERENCES flowcraft_statuses (run_id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

-- Node attempts enqueued (NODE_SCHEDULED committed), so the scheduler does not report them
-- ready again. INSERT ... ON CONFLICT DO NOTHING makes a repeated schedule harmless.
-- Query: SELECT node_id, attempt FROM flowcraft_node_scheduled WHERE run_id = $1;
CREATE TABLE IF NOT EXISTS flowcraft_node_scheduled (
  run_id text NOT NULL,
  node_id text NOT NULL,
  attempt integer NOT NULL CHECK (attempt >= 0),
  scheduled_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, node_id, attempt),
  CONSTRAINT flowcraft_node_scheduled_run_fkey FOREIGN KEY (run_id)
    REFERENCES flowcraft_statuses (run_id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

-- A node's side effects (an e-mail sent, an account created), keyed by an id the node
-- derives from its input, so a redelivered job finds its effect done and does not repeat
-- it. INSERT ... ON CONFLICT DO NOTHING: the first writer wins; the token records which
-- lease holder made it.
-- Query: SELECT ... FROM flowcraft_node_effects WHERE run_id = $1 AND node_id = $2 AND effect_id = $3;
CREATE TABLE IF NOT EXISTS flowcraft_node_effects (
  run_id text NOT NULL,
  node_id text NOT NULL,
  effect_id text NOT NULL,
  kind text NOT NULL,
  attempt integer NOT NULL CHECK (attempt >= 0),
  fencing_token bigint NOT NULL,
  detail jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, node_id, effect_id),
  CONSTRAINT flowcraft_node_effects_run_fkey FOREIGN KEY (run_id)
    REFERENCES flowcraft_statuses (run_id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

-- Transactional outbox: a run's WorkflowEvents, written in the same transaction as the
-- state change they describe; a relay publishes them to the workflow-events topic in
-- (run_id, seq) order and sets published_at. unique (run_id, seq): an event is stored once.
-- Query (the relay): SELECT id, run_id, seq, event FROM workflow_event_outbox
--   WHERE published_at IS NULL ORDER BY id LIMIT $1;  -- served by the partial index
CREATE TABLE IF NOT EXISTS workflow_event_outbox (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 1),
  event jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  CONSTRAINT workflow_event_outbox_run_seq_key UNIQUE (run_id, seq)
);
CREATE INDEX IF NOT EXISTS workflow_event_outbox_unpublished_idx
  ON workflow_event_outbox (id) WHERE published_at IS NULL;
