import type cassandra from "cassandra-driver";
import { RUN_STATUSES, type RunEventView, type RunRecord, type RunSnapshot, type RunSummary } from "./events";

/** Buckets of workflow_runs_by_status: crc32(run_id) % 16 (kafka/cassandra/006-workflow.cql). */
export const STATUS_BUCKETS = 16;
/** The most runs the list shows, and the most each (status, bucket) partition gives. */
export const RECENT_RUNS_LIMIT = 20;
/** A run's timeline is read whole up to this many events (example runs have a few dozen). */
export const EVENTS_LIMIT = 2_000;

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
 * The newest runs of every status, newest update first.
 * NOTE: acceptable for now, not at scale: this reads every (status, bucket) partition of
 * workflow_runs_by_status (6 statuses × 16 buckets = 96 prepared queries, each newest
 * first with a LIMIT) and merges them here. It shows every user's runs (runs have no
 * owner yet). A "recent runs" table keyed by day would make it one query.
 */
export async function listRecentRuns(client: cassandra.Client, limit = RECENT_RUNS_LIMIT): Promise<RunSummary[]> {
  const query =
    "SELECT run_id, workflow_id, status, updated_at FROM taskflow.workflow_runs_by_status WHERE status = ? AND bucket = ? ORDER BY updated_at DESC LIMIT ?";
  const reads = RUN_STATUSES.flatMap((status) =>
    Array.from({ length: STATUS_BUCKETS }, (_, bucket) => client.execute(query, [status, bucket, limit], PREPARED)),
  );
  const newest = new Map<string, RunSummary>();
  for (const result of await Promise.all(reads)) {
    for (const row of result.rows) {
      const runId = text(row.get("run_id"));
      const updatedAt = iso(row.get("updated_at"));
      if (!runId || !updatedAt) continue;
      const seen = newest.get(runId);
      // A run has one row here; should a stale one linger, the newest update wins.
      if (seen && seen.updatedAt >= updatedAt) continue;
      newest.set(runId, { runId, workflowId: text(row.get("workflow_id")), status: text(row.get("status")) ?? "unknown", updatedAt });
    }
  }
  return [...newest.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, limit);
}

/** A run's row in workflow_runs, or null when the worker has not created it (yet). */
export async function readRun(client: cassandra.Client, runId: string): Promise<RunRecord | null> {
  const result = await client.execute(
    "SELECT run_id, workflow_id, version, status, status_reason, created_at, updated_at, correlation_id FROM taskflow.workflow_runs WHERE run_id = ?",
    [runId],
    PREPARED,
  );
  const row = result.first();
  if (!row) return null;
  return {
    runId,
    workflowId: text(row.get("workflow_id")),
    version: text(row.get("version")),
    status: text(row.get("status")),
    statusReason: text(row.get("status_reason")),
    createdAt: iso(row.get("created_at")),
    updatedAt: iso(row.get("updated_at")),
    correlationId: text(row.get("correlation_id")),
  };
}

/** A run's events from the event store (written by Kafka Connect), in seq order. */
export async function readRunEvents(client: cassandra.Client, runId: string): Promise<RunEventView[]> {
  const result = await client.execute(
    "SELECT seq, type, node_id, attempt, time, correlation_id, actor FROM taskflow.workflow_events_by_run WHERE run_id = ? LIMIT ?",
    [runId, EVENTS_LIMIT],
    PREPARED,
  );
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
export async function readRunSnapshot(client: cassandra.Client, runId: string): Promise<RunSnapshot> {
  const [run, events] = await Promise.all([readRun(client, runId), readRunEvents(client, runId)]);
  return { run, events };
}
