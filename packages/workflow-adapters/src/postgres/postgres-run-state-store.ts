import type pg from "pg";
import type { EngineNewRun, EngineRunStore, NodeResultRow, RunCommit, RunEvent, RunState, RunStatus } from "@taskflow/workflow";
import type { NodeEffect } from "../cassandra/cassandra-run-state-store.ts";

/**
 * {@link EngineRunStore} on PostgreSQL, over the tables of migrations/postgres/ (unqualified
 * names: the pool's `search_path` picks the schema). Every statement is parameterised and
 * runs on the pool; each method is one statement, so one implicit transaction and one round
 * trip. The caller owns the pool (its `error` listener and `end()`).
 */

/** A new run, as written by {@link PostgresRunStateStore.createRun}. */
export interface PostgresNewRun extends EngineNewRun {
  /** Defaults to `rabbitmq`: the transport this store serves. */
  transport?: string;
  /** Defaults to `running`. */
  status?: RunStatus;
  /** Defaults to the database's clock. */
  createdAt?: Date;
}

/** Options for {@link PostgresRunStateStore}. */
export interface PostgresRunStateStoreOptions {
  /**
   * `actor` of the WorkflowEvents this store writes to the outbox (the relay publishes them
   * as written). Default `system:worker`, as the Kafka transport's publisher.
   */
  actor?: string;
}

/**
 * An outbox row's `event` JSON: the draft plus what the published `WorkflowEvent` needs
 * (the run's blueprint and transport, written by the commit from the run's row).
 * The relay decodes it with {@link parseOutboxEvent}.
 */
export interface OutboxEventJson {
  type: RunEvent["type"];
  nodeId?: string;
  attempt?: number;
  correlationId: string;
  /** ISO-8601. */
  occurredAt: string;
  payload?: unknown;
  workflowId: string;
  workflowVersion: string;
  actor: string;
  transport: string;
}

/**
 * NOTIFY channel of commits that wrote outbox rows (payload: the schema), so the relay
 * leading in another process publishes them at once. Delivered only when the commit commits.
 */
export const OUTBOX_CHANNEL = "taskflow_workflow_event_outbox";

/** The run input is kept in flowcraft_contexts.context_data under this key (as the Cassandra store does). */
const INPUT_CONTEXT_KEY = "input";
const DEFAULT_TRANSPORT = "rabbitmq";

/**
 * CRITICAL: the whole commit is this one statement. The compare-and-set UPDATE of the run's
 * row is the first CTE; every insert selects FROM it, so a refused CAS (no row) inserts
 * nothing, and an error anywhere (a duplicate result, a constraint) aborts the statement's
 * transaction, the CAS included. Two writers of one run serialise on the row lock; the
 * second re-checks `last_seq` after the first committed and is refused.
 * $1 run, $2 expected last seq, $3 new last seq, $4 fencing token, $5 status or null,
 * $6 reason, $7 results, $8 scheduled marks, $9 events (jsonb arrays), $10 actor.
 */
const COMMIT_SQL = `
WITH cas AS (
  UPDATE flowcraft_statuses SET
    last_seq = $3,
    fencing_token = $4,
    status = COALESCE($5::text, status),
    status_reason = CASE WHEN $5::text IS NULL THEN status_reason ELSE $6::text END,
    updated_at = CASE WHEN $5::text IS NULL THEN updated_at ELSE GREATEST(now(), updated_at + interval '1 millisecond') END,
    status_data = CASE WHEN $5::text IS NULL THEN status_data ELSE status_data || jsonb_build_object(
      'status', $5::text, 'reason', $6::text, 'updatedAt', GREATEST(now(), updated_at + interval '1 millisecond')) END
  WHERE run_id = $1 AND last_seq = $2 AND fencing_token <= $4
  RETURNING run_id, workflow_id, workflow_version, transport
), results AS (
  INSERT INTO flowcraft_node_results (run_id, node_id, attempt, status, fencing_token, output, error, action, recorded_at)
  SELECT cas.run_id, r.v->>'nodeId', (r.v->>'attempt')::int, r.v->>'status', (r.v->>'fencingToken')::bigint,
         r.v->'output', r.v->'error', r.v->>'action', (r.v->>'recordedAt')::timestamptz
  FROM cas, jsonb_array_elements($7::jsonb) WITH ORDINALITY AS r(v, ord)
  ORDER BY r.ord
), scheduled AS (
  INSERT INTO flowcraft_node_scheduled (run_id, node_id, attempt, scheduled_at)
  SELECT cas.run_id, s.v->>'nodeId', (s.v->>'attempt')::int, (s.v->>'scheduledAt')::timestamptz
  FROM cas, jsonb_array_elements($8::jsonb) AS s(v)
  ON CONFLICT (run_id, node_id, attempt) DO NOTHING
), outbox AS (
  INSERT INTO workflow_event_outbox (run_id, seq, event)
  SELECT cas.run_id, $2 + e.ord, e.v || jsonb_build_object(
    'workflowId', cas.workflow_id, 'workflowVersion', cas.workflow_version, 'transport', cas.transport, 'actor', $10::text)
  FROM cas, jsonb_array_elements($9::jsonb) WITH ORDINALITY AS e(v, ord)
  ORDER BY e.ord
)
SELECT cas.run_id, CASE WHEN jsonb_array_length($9::jsonb) > 0 THEN pg_notify('${OUTBOX_CHANNEL}', current_schema()) END AS notified
FROM cas`;

/**
 * The run, its context, its results in recording order and its scheduled attempts, as one
 * statement: one snapshot, one round trip. Result and schedule rows come back as JSON arrays;
 * keys of absent (SQL NULL) columns are left out so `output: null` stays distinct from no output.
 */
const READ_RUN_SQL = `
SELECT s.workflow_id, s.workflow_version, s.status, s.correlation_id, s.updated_at, s.last_seq,
       c.context_data,
       (SELECT COALESCE(jsonb_agg(
                 jsonb_build_object('nodeId', r.node_id, 'attempt', r.attempt, 'status', r.status,
                                    'fencingToken', r.fencing_token, 'recordedAt', r.recorded_at)
                 || CASE WHEN r.output IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('output', r.output) END
                 || CASE WHEN r.error IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('error', r.error) END
                 || CASE WHEN r.action IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('action', r.action) END
                 ORDER BY r.recorded_order), '[]'::jsonb)
          FROM flowcraft_node_results r WHERE r.run_id = s.run_id) AS results,
       (SELECT COALESCE(jsonb_agg(jsonb_build_object('nodeId', n.node_id, 'attempt', n.attempt)
                 ORDER BY n.scheduled_at, n.node_id, n.attempt), '[]'::jsonb)
          FROM flowcraft_node_scheduled n WHERE n.run_id = s.run_id) AS scheduled
FROM flowcraft_statuses s
LEFT JOIN flowcraft_contexts c ON c.run_id = s.run_id
WHERE s.run_id = $1`;

/** The status row and the context row (holding the input) together, or neither. */
const CREATE_RUN_SQL = `
WITH created AS (
  INSERT INTO flowcraft_statuses (run_id, status, workflow_id, workflow_version, correlation_id, transport, status_data, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, jsonb_build_object('status', $2::text, 'updatedAt', COALESCE($8::timestamptz, now())),
          COALESCE($8::timestamptz, now()), COALESCE($8::timestamptz, now()))
  ON CONFLICT (run_id) DO NOTHING
  RETURNING run_id
)
INSERT INTO flowcraft_contexts (run_id, context_data, created_at, updated_at)
SELECT run_id, jsonb_build_object('${INPUT_CONTEXT_KEY}', $7::jsonb), COALESCE($8::timestamptz, now()), COALESCE($8::timestamptz, now())
FROM created
RETURNING run_id`;

const SET_STATUS_SQL = `
UPDATE flowcraft_statuses SET
  status = $2,
  status_reason = $3,
  updated_at = GREATEST(now(), updated_at + interval '1 millisecond'),
  status_data = status_data || jsonb_build_object('status', $2::text, 'reason', $3::text, 'updatedAt', GREATEST(now(), updated_at + interval '1 millisecond'))
WHERE run_id = $1`;

/** Served by flowcraft_statuses_status_updated_at_idx (status, updated_at). */
const FIND_STALLED_SQL = `
SELECT run_id, updated_at FROM flowcraft_statuses
WHERE status = 'running' AND updated_at < now() - make_interval(secs => $1)
ORDER BY updated_at
LIMIT $2`;

/** NOTE: one UPDATE sets one key in the server (`jsonb_set`): no read-modify-write of the blob in the app. */
const SET_CONTEXT_SQL = `
UPDATE flowcraft_contexts SET context_data = jsonb_set(context_data, ARRAY[$2::text], $3::jsonb, true), updated_at = now()
WHERE run_id = $1`;

const INSERT_EFFECT_SQL = `
INSERT INTO flowcraft_node_effects (run_id, node_id, effect_id, kind, attempt, fencing_token, detail, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, COALESCE($8::timestamptz, now()))
ON CONFLICT (run_id, node_id, effect_id) DO NOTHING`;

const COUNT_EFFECTS_SQL = "SELECT count(*)::int AS count FROM flowcraft_node_effects WHERE run_id = $1";

interface RunRow {
  workflow_id: string;
  workflow_version: string;
  status: RunStatus;
  correlation_id: string;
  updated_at: Date;
  last_seq: string;
  context_data: Record<string, unknown> | null;
  results: StoredResult[];
  scheduled: { nodeId: string; attempt: number }[];
}

interface StoredResult {
  nodeId: string;
  attempt: number;
  status: NodeResultRow["status"];
  fencingToken: number;
  recordedAt: string;
  output?: unknown;
  error?: NodeResultRow["error"];
  action?: string;
}

export class PostgresRunStateStore implements EngineRunStore {
  private readonly actor: string;

  constructor(
    private readonly pool: pg.Pool,
    options: PostgresRunStateStoreOptions = {},
  ) {
    this.actor = options.actor ?? "system:worker";
  }

  /**
   * Creates a run once: its flowcraft_statuses row and its flowcraft_contexts row (holding
   * the input), in one statement. Returns `false` if the run already existed (nothing written).
   */
  async createRun(run: PostgresNewRun): Promise<boolean> {
    const { rowCount } = await this.pool.query(CREATE_RUN_SQL, [
      run.runId,
      run.status ?? "running",
      run.blueprintId,
      run.blueprintVersion,
      run.correlationId,
      run.transport ?? DEFAULT_TRANSPORT,
      encodeJson(run.input),
      run.createdAt ?? null,
    ]);
    return rowCount === 1;
  }

  /**
   * Commits a run change atomically: the compare-and-set on the run's `last_seq` and
   * fencing token, the result rows, the scheduled marks of NODE_SCHEDULED events, the
   * status (and `updated_at`, `status_data`) and the events into the transactional outbox
   * `workflow_event_outbox`, all in one statement. `undefined` when refused (nothing written);
   * rejects, having written nothing, when a row violates a constraint (e.g. a result
   * (node, attempt) recorded twice).
   */
  async commit(commit: RunCommit): Promise<RunEvent[] | undefined> {
    const events = commit.events.map((draft, index): RunEvent => ({ ...draft, sequence: commit.expectedLastSequence + index + 1 }));
    const results = (commit.results ?? []).map((row) => ({
      nodeId: row.nodeId,
      attempt: row.attempt,
      status: row.status,
      fencingToken: row.fencingToken,
      output: row.output,
      error: row.error,
      action: row.action,
      recordedAt: row.recordedAt.toISOString(),
    }));
    const scheduled = events
      .filter((event) => event.type === "NODE_SCHEDULED" && event.nodeId !== undefined)
      .map((event) => ({ nodeId: event.nodeId, attempt: event.attempt ?? 1, scheduledAt: event.occurredAt.toISOString() }));
    const drafts = commit.events.map((draft) => ({
      type: draft.type,
      nodeId: draft.nodeId,
      attempt: draft.attempt,
      correlationId: draft.correlationId,
      occurredAt: draft.occurredAt.toISOString(),
      payload: draft.payload,
    }));
    const { rowCount } = await this.pool.query(COMMIT_SQL, [
      commit.runId,
      commit.expectedLastSequence,
      commit.expectedLastSequence + events.length,
      commit.fencingToken,
      commit.status?.status ?? null,
      commit.status?.reason ?? null,
      JSON.stringify(results),
      JSON.stringify(scheduled),
      JSON.stringify(drafts),
      this.actor,
    ]);
    return rowCount === 1 ? events : undefined;
  }

  /** Reads the run (one consistent snapshot), or `undefined` for an unknown run. */
  async readRun(runId: string): Promise<RunState | undefined> {
    const { rows } = await this.pool.query<RunRow>(READ_RUN_SQL, [runId]);
    const row = rows[0];
    if (!row) return undefined;
    const { [INPUT_CONTEXT_KEY]: input, ...context } = row.context_data ?? {};
    return {
      runId,
      blueprintId: row.workflow_id,
      blueprintVersion: row.workflow_version,
      status: row.status,
      input,
      context,
      correlationId: row.correlation_id,
      nodeResults: row.results.map((stored): NodeResultRow => {
        const result: NodeResultRow = {
          runId,
          nodeId: stored.nodeId,
          attempt: stored.attempt,
          status: stored.status,
          fencingToken: stored.fencingToken,
          recordedAt: new Date(stored.recordedAt),
        };
        if ("output" in stored) result.output = stored.output;
        if (stored.error !== undefined) result.error = stored.error;
        if (stored.action !== undefined) result.action = stored.action;
        return result;
      }),
      scheduled: row.scheduled,
      updatedAt: row.updated_at,
      lastSequence: Number(row.last_seq),
    };
  }

  /** Sets the run's status, `updated_at` (strictly increasing) and `status_data`; throws for an unknown run. */
  async setStatus(runId: string, status: RunStatus, reason?: string): Promise<void> {
    const { rowCount } = await this.pool.query(SET_STATUS_SQL, [runId, status, reason ?? null]);
    if (rowCount !== 1) throw new Error(`setStatus: unknown run ${runId}`);
  }

  /** Runs `running` whose status was last set more than `olderThanSeconds` ago (database clock), oldest first. */
  async findStalledRuns(olderThanSeconds: number, limit: number): Promise<{ runId: string; updatedAt: Date }[]> {
    const { rows } = await this.pool.query<{ run_id: string; updated_at: Date }>(FIND_STALLED_SQL, [olderThanSeconds, limit]);
    return rows.map((r) => ({ runId: r.run_id, updatedAt: r.updated_at }));
  }

  /**
   * Sets one context key of the run in place (`jsonb_set` in one UPDATE), so concurrent
   * writers of different keys never lose each other's update. `nodeId` is accepted for
   * parity with the Cassandra store and not stored (the blob has no per-key metadata).
   * @throws for the reserved key `input` or an unknown run.
   */
  async setContext(runId: string, key: string, value: unknown, _nodeId?: string): Promise<void> {
    if (key === INPUT_CONTEXT_KEY) throw new Error(`context key "${INPUT_CONTEXT_KEY}" holds the run input`);
    const { rowCount } = await this.pool.query(SET_CONTEXT_SQL, [runId, key, encodeJson(value)]);
    if (rowCount !== 1) throw new Error(`setContext: unknown run ${runId}`);
  }

  /**
   * Records a node's side effect once (INSERT ... ON CONFLICT DO NOTHING on the effect id).
   * `effectId` must derive from the run, node and effect, not the delivery; `true` only for
   * the first write. The run must exist (checked when the statement commits).
   */
  async recordEffect(runId: string, nodeId: string, effectId: string, effect: NodeEffect): Promise<boolean> {
    const { rowCount } = await this.pool.query(INSERT_EFFECT_SQL, [
      runId,
      nodeId,
      effectId,
      effect.kind,
      effect.attempt,
      effect.fencingToken,
      effect.detail === undefined ? null : encodeJson(effect.detail),
      effect.createdAt ?? null,
    ]);
    return rowCount === 1;
  }

  /** Number of effects recorded for the run. */
  async countEffects(runId: string): Promise<number> {
    const { rows } = await this.pool.query<{ count: number }>(COUNT_EFFECTS_SQL, [runId]);
    return rows[0]?.count ?? 0;
  }
}

/**
 * Turns an outbox row back into the run event and the publish context it was committed with.
 * @throws if the JSON is not an outbox event (a row written by something else).
 */
export function parseOutboxEvent(runId: string, seq: number, json: unknown): { event: RunEvent; context: { workflowId: string; workflowVersion: string; actor: string; transport: string } } {
  const value = json as Partial<OutboxEventJson> | null;
  if (
    typeof value !== "object" ||
    value === null ||
    typeof value.type !== "string" ||
    typeof value.correlationId !== "string" ||
    typeof value.occurredAt !== "string" ||
    typeof value.workflowId !== "string" ||
    typeof value.workflowVersion !== "string" ||
    typeof value.actor !== "string" ||
    typeof value.transport !== "string"
  ) {
    throw new Error(`outbox event ${runId}#${seq} is not a WorkflowEvent draft`);
  }
  const event: RunEvent = { runId, sequence: seq, type: value.type, correlationId: value.correlationId, occurredAt: new Date(value.occurredAt) };
  if (value.nodeId !== undefined) event.nodeId = value.nodeId;
  if (value.attempt !== undefined) event.attempt = value.attempt;
  if (value.payload !== undefined) event.payload = value.payload;
  return { event, context: { workflowId: value.workflowId, workflowVersion: value.workflowVersion, actor: value.actor, transport: value.transport } };
}

function encodeJson(value: unknown): string {
  // NOTE: JSON.stringify(undefined) is undefined; store it as null so it reads back.
  return JSON.stringify(value ?? null);
}
