import { daysEndingWith, utcToday, type CqlReader } from "../analytics/queries";
import type { RunEventView, RunRecord, RunSnapshot, RunSummary } from "./events";

/** The most runs the list shows (and the most each day's partition gives). */
export const RECENT_RUNS_LIMIT = 20;
/** A run's timeline is read whole up to this many events (example runs have a few dozen). */
export const EVENTS_LIMIT = 2_000;

/**
 * The run pages' reads. Runs of both transports reach the same tables: their events land
 * in the event store (006-workflow.cql; the rabbitmq transport's through its outbox
 * relay), and the projector folds them into the run projection (008-workflow-run-projection.cql).
 * NOTE: not the kafka transport's own state (workflow_runs, workflow_runs_by_status): the
 * rabbitmq transport keeps its state in PostgreSQL, which the web app does not read.
 */
export const RUN_CQL = {
  /** A day's runs, newest created first (the partition's clustering order). */
  runsOfDay:
    "SELECT run_id, workflow_id, status, transport, created_at, updated_at FROM taskflow.workflow_runs_by_day WHERE day = ? LIMIT ?",
  run: "SELECT run_id, workflow_id, workflow_version, status, status_reason, transport, created_at, updated_at, correlation_id FROM taskflow.workflow_run_status WHERE run_id = ?",
  runEvents: "SELECT seq, type, node_id, attempt, time, correlation_id, actor FROM taskflow.workflow_events_by_run WHERE run_id = ? LIMIT ?",
} as const;

const PREPARED = { prepare: true } as const;

function iso(value: unknown): string | null {
  return value instanceof Date ? value.toISOString() : null;
}

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function int(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (value && typeof (value as { toNumber?: unknown }).toNumber === "function") return (value as { toNumber(): number }).toNumber();
  return null;
}

/**
 * The newest runs of every transport, created today or yesterday (UTC), newest first:
 * two prepared reads of workflow_runs_by_day, one partition each. It shows every user's
 * runs (runs have no owner yet).
 */
export async function listRecentRuns(db: CqlReader, limit = RECENT_RUNS_LIMIT, now = new Date()): Promise<RunSummary[]> {
  const days = daysEndingWith(utcToday(now), 2);
  const results = await Promise.all(days.map((day) => db.execute(RUN_CQL.runsOfDay, [day, limit], PREPARED)));
  const runs = new Map<string, RunSummary>();
  for (const result of results) {
    for (const row of result.rows) {
      const runId = text(row.get("run_id"));
      const createdAt = iso(row.get("created_at"));
      const updatedAt = iso(row.get("updated_at"));
      // A run has one row here (its created_at never changes once folded).
      if (!runId || !createdAt || !updatedAt || runs.has(runId)) continue;
      runs.set(runId, {
        runId,
        workflowId: text(row.get("workflow_id")),
        status: text(row.get("status")) ?? "unknown",
        transport: text(row.get("transport")),
        createdAt,
        updatedAt,
      });
    }
  }
  return [...runs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.runId.localeCompare(b.runId)).slice(0, limit);
}

/** A run's projected status (workflow_run_status), or null while the projector has not folded its first event (yet). */
export async function readRun(db: CqlReader, runId: string): Promise<RunRecord | null> {
  const result = await db.execute(RUN_CQL.run, [runId], PREPARED);
  const row = result.rows[0];
  if (!row) return null;
  return {
    runId,
    workflowId: text(row.get("workflow_id")),
    version: text(row.get("workflow_version")),
    status: text(row.get("status")),
    statusReason: text(row.get("status_reason")),
    transport: text(row.get("transport")),
    createdAt: iso(row.get("created_at")),
    updatedAt: iso(row.get("updated_at")),
    correlationId: text(row.get("correlation_id")),
  };
}

/** A run's events from the event store (written by Kafka Connect), in seq order. */
export async function readRunEvents(db: CqlReader, runId: string): Promise<RunEventView[]> {
  const result = await db.execute(RUN_CQL.runEvents, [runId, EVENTS_LIMIT], PREPARED);
  return result.rows.map((row) => ({
    seq: int(row.get("seq")) ?? 0,
    type: text(row.get("type")) ?? "UNKNOWN",
    nodeId: text(row.get("node_id")),
    attempt: int(row.get("attempt")),
    time: iso(row.get("time")),
    correlationId: text(row.get("correlation_id")),
    actor: text(row.get("actor")),
  }));
}

/** The run and its timeline, read together. */
export async function readRunSnapshot(db: CqlReader, runId: string): Promise<RunSnapshot> {
  const [run, events] = await Promise.all([readRun(db, runId), readRunEvents(db, runId)]);
  return { run, events };
}
