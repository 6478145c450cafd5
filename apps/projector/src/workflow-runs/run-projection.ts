/**
 * The run-status projection as pure logic: a run's WorkflowEvents, folded in seq order,
 * give one row per run (kafka/cassandra/008-workflow-run-projection.cql). No I/O here:
 * the live consumer (`run-projector.ts`) and the rebuild (`rebuild.ts`) both fold with
 * these functions, so a live row and a rebuilt row of the same events are equal.
 */
import type { WorkflowEventRecord } from "@taskflow/workflow-adapters";
import type { RunStatus, WorkflowEventType } from "@taskflow/workflow";
import { z } from "zod";

/** The fields of a WorkflowEvent the fold reads (a decoded record or an event-store row). */
export type RunEventInput = Pick<
  WorkflowEventRecord,
  "runId" | "workflowId" | "workflowVersion" | "seq" | "type" | "nodeId" | "payload" | "correlationId" | "time" | "transport"
>;

/** A node's state as the last event about it (by seq) left it. */
export type NodeState = "scheduled" | "running" | "completed" | "failed" | "skipped" | "retrying";

/** One run's projected status: a row of `workflow_run_status` (and, in part, of `workflow_runs_by_day`). */
export interface RunStatusRow {
  runId: string;
  workflowId: string;
  workflowVersion: string;
  status: RunStatus;
  /** The time of RUN_CREATED (of the first event folded, should RUN_CREATED be missing). */
  createdAt: Date;
  /** The time of the last event folded (highest seq). */
  updatedAt: Date;
  /** The highest seq folded; an event is applied only when its seq is above it. */
  lastSeq: number;
  transport: string;
  correlationId: string;
  /** Why the run reached its status: the pause/cancel/resume reason or the failure message; null otherwise. */
  statusReason: string | null;
  /** Every node some event named, and its state. */
  nodeStates: Record<string, NodeState>;
  /** Distinct events folded (equals lastSeq when no seq is missing). */
  eventCount: number;
}

/** The node state each NODE_* event leaves; other types do not touch node states. */
const NODE_STATE_BY_EVENT: Partial<Record<WorkflowEventType, NodeState>> = {
  NODE_SCHEDULED: "scheduled",
  NODE_STARTED: "running",
  NODE_COMPLETED: "completed",
  NODE_FAILED: "failed",
  NODE_RETRIED: "retrying",
  NODE_SKIPPED: "skipped",
};

/** The run status each RUN_* event leaves; other types do not touch the status. */
const RUN_STATUS_BY_EVENT: Partial<Record<WorkflowEventType, RunStatus>> = {
  RUN_CREATED: "running",
  RUN_PAUSED: "paused",
  RUN_RESUMED: "running",
  RUN_CANCELLED: "cancelled",
  RUN_COMPLETED: "completed",
  RUN_FAILED: "failed",
};

/** The parts of a RUN_* payload that explain a status (packages/workflow's engine writes them). */
const statusPayloadSchema = z.object({
  reason: z.string().optional().catch(undefined),
  failure: z.object({ message: z.string().optional().catch(undefined) }).optional().catch(undefined),
});

/** Why `event` set the run's status, from its JSON payload; null when it says nothing (or is not JSON). */
function statusReasonOf(event: RunEventInput): string | null {
  let payload: unknown;
  try {
    payload = JSON.parse(event.payload) as unknown;
  } catch {
    return null;
  }
  const parsed = statusPayloadSchema.safeParse(payload);
  if (!parsed.success) return null;
  if (event.type === "RUN_FAILED") return parsed.data.failure?.message ?? parsed.data.reason ?? null;
  return parsed.data.reason ?? null;
}

/**
 * Applies one event to a run's row (null: the run has no row yet). The caller applies
 * events in seq order; this function does not check seq. Unknown event types (the schema
 * allows new ones) only move lastSeq, updatedAt and eventCount.
 */
export function applyRunEvent(row: RunStatusRow | null, event: RunEventInput): RunStatusRow {
  const next: RunStatusRow = row
    ? { ...row, nodeStates: { ...row.nodeStates } }
    : {
        runId: event.runId,
        workflowId: event.workflowId,
        workflowVersion: event.workflowVersion,
        status: "running",
        createdAt: event.time,
        updatedAt: event.time,
        lastSeq: 0,
        transport: event.transport,
        correlationId: event.correlationId,
        statusReason: null,
        nodeStates: {},
        eventCount: 0,
      };
  const type = event.type as WorkflowEventType;
  if (type === "RUN_CREATED") {
    // The run's identity as created (every event carries it; RUN_CREATED is authoritative).
    Object.assign(next, {
      workflowId: event.workflowId,
      workflowVersion: event.workflowVersion,
      createdAt: event.time,
      transport: event.transport,
      correlationId: event.correlationId,
    });
  }
  const status = RUN_STATUS_BY_EVENT[type];
  if (status) {
    next.status = status;
    next.statusReason = type === "RUN_CREATED" || type === "RUN_COMPLETED" ? null : statusReasonOf(event);
  }
  const nodeState = NODE_STATE_BY_EVENT[type];
  if (nodeState && event.nodeId) next.nodeStates[event.nodeId] = nodeState;
  next.lastSeq = event.seq;
  next.updatedAt = event.time;
  next.eventCount += 1;
  return next;
}

/** `events` in seq order, each seq once (the first occurrence wins). */
export function inSeqOrder<T extends Pick<RunEventInput, "seq">>(events: readonly T[]): T[] {
  const bySeq = new Map<number, T>();
  for (const event of events) if (!bySeq.has(event.seq)) bySeq.set(event.seq, event);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** What {@link advanceRun} did. */
export interface RunAdvance {
  /** The row after the events applied (null: still no row). */
  row: RunStatusRow | null;
  /** Events applied (seq above the row's lastSeq, in order). */
  applied: number;
  /** Events not applied because their seq was already folded (redeliveries, repeats in the input). */
  duplicates: number;
  /**
   * Set when applying stopped at a gap: the seqs after `afterSeq` up to `throughSeq` are
   * needed before the events still held (`pending`) can be applied in order.
   */
  gap: { afterSeq: number; throughSeq: number; pending: number } | null;
}

/**
 * Applies to `row` the events of its run whose seq is above `row.lastSeq`, in seq order,
 * each seq once: a redelivered event changes nothing. Stops at the first missing seq (a
 * later event arrived first), unless `allowGaps`, which folds what there is.
 */
export function advanceRun(row: RunStatusRow | null, events: readonly RunEventInput[], options: { allowGaps?: boolean } = {}): RunAdvance {
  const ordered = inSeqOrder(events);
  let current = row;
  let applied = 0;
  let duplicates = events.length - ordered.length;
  for (const [index, event] of ordered.entries()) {
    if (current && event.runId !== current.runId) throw new Error(`event of run ${event.runId} folded into run ${current.runId}`);
    const lastSeq = current?.lastSeq ?? 0;
    if (event.seq <= lastSeq) {
      duplicates++;
      continue;
    }
    if (event.seq > lastSeq + 1 && !options.allowGaps) {
      const throughSeq = ordered[ordered.length - 1]!.seq;
      return { row: current, applied, duplicates, gap: { afterSeq: lastSeq, throughSeq, pending: ordered.length - index } };
    }
    current = applyRunEvent(current, event);
    applied++;
  }
  return { row: current, applied, duplicates, gap: null };
}

/**
 * The fold: a run's row from its events alone, in seq order, duplicates by seq ignored,
 * seqs missing from `events` skipped. Null for no events.
 */
export function projectRun(events: readonly RunEventInput[]): RunStatusRow | null {
  return advanceRun(null, events, { allowGaps: true }).row;
}

/** The UTC calendar day (`YYYY-MM-DD`) of a run's creation: its `workflow_runs_by_day` partition. */
export function runDay(row: Pick<RunStatusRow, "createdAt">): string {
  return row.createdAt.toISOString().slice(0, 10);
}
