/** Statuses after which a run changes no more. */
export const TERMINAL_STATUSES: readonly string[] = ["cancelled", "completed", "failed"];

export function isTerminalStatus(status: string | null | undefined): boolean {
  return !!status && TERMINAL_STATUSES.includes(status);
}

/** How the pages draw a node. */
export const NODE_STATES = ["pending", "running", "completed", "failed", "skipped", "stopped"] as const;
export type NodeState = (typeof NODE_STATES)[number];

/** One event of a run's timeline, as the pages show it (JSON-safe). */
export interface RunEventView {
  seq: number;
  type: string;
  nodeId: string | null;
  attempt: number | null;
  time: string | null;
  correlationId: string | null;
  actor: string | null;
}

/** A run's row in the recent-runs list (workflow_runs_by_day, JSON-safe). */
export interface RunSummary {
  runId: string;
  workflowId: string | null;
  status: string;
  /** `kafka` | `rabbitmq`; null for a row the projector folded before it had the column. */
  transport: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * A run's identity and status from the run projection (workflow_run_status: runs of
 * every transport), JSON-safe. Status: running | paused | cancelled | completed | failed.
 */
export interface RunRecord {
  runId: string;
  workflowId: string | null;
  version: string | null;
  status: string | null;
  statusReason: string | null;
  transport: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  correlationId: string | null;
}

/** What /runs/[runId]/state answers and the run page starts from. */
export interface RunSnapshot {
  run: RunRecord | null;
  events: RunEventView[];
}

/**
 * Each node's state, from the run's events in seq order: the last event about a node
 * decides (a failed attempt followed by NODE_RETRIED is running again). Nodes no event
 * names are pending; nodes still scheduled or running when the run ended (cancelled,
 * failed) never finished: stopped.
 */
export function nodeStates(nodeIds: readonly string[], events: readonly RunEventView[]): Record<string, NodeState> {
  const states: Record<string, NodeState> = Object.fromEntries(nodeIds.map((id) => [id, "pending" as NodeState]));
  const ordered = [...events].sort((a, b) => a.seq - b.seq);
  for (const event of ordered) {
    if (!event.nodeId || !(event.nodeId in states)) continue;
    const state = NODE_EVENT_STATES[event.type];
    if (state) states[event.nodeId] = state;
  }
  if (timelineFinished(ordered)) {
    for (const id of Object.keys(states)) if (states[id] === "running") states[id] = "stopped";
  }
  return states;
}

const NODE_EVENT_STATES: Record<string, NodeState | undefined> = {
  NODE_SCHEDULED: "running",
  NODE_STARTED: "running",
  NODE_RETRIED: "running",
  NODE_COMPLETED: "completed",
  NODE_FAILED: "failed",
  NODE_SKIPPED: "skipped",
};

/** A run's timeline is whole once the event store holds its terminal RUN_* event. */
export function timelineFinished(events: readonly RunEventView[]): boolean {
  return events.some((event) => event.type === "RUN_COMPLETED" || event.type === "RUN_FAILED" || event.type === "RUN_CANCELLED");
}
