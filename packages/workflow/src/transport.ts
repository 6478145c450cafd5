/**
 * The seams between the pure runtime and its infrastructure (issue #6 implements
 * them on Kafka, Cassandra and Redis). Interfaces only: nothing here knows a broker.
 */

/** One node attempt to execute, as carried on the jobs topic. */
export interface NodeJob {
  runId: string;
  nodeId: string;
  /** 1-based; a redelivered job keeps its attempt, a retry increments it. */
  attempt: number;
  /** From `CoordinationStore.acquireLease`; stale holders' writes are rejected with it. */
  fencingToken: number;
  /** From the triggering event; flows into every job, event and log line. */
  correlationId: string;
  input: unknown;
}

/** Node job transport. */
export interface JobQueue {
  /**
   * Publishes jobs keyed by run id, so one run's jobs stay ordered on one
   * partition. Resolves once the broker acknowledged every job.
   */
  publish(jobs: readonly NodeJob[], options?: { delayMs?: number }): Promise<void>;
  /**
   * Consumes jobs. The handler's promise resolving means its effect is durable;
   * only then is the job acknowledged (offset committed). A rejection leaves the
   * job unacknowledged for redelivery, or dead-letters it if it cannot be decoded.
   * Resolves when consumption has started; call `stop()` to drain.
   */
  consume(handler: (job: NodeJob) => Promise<void>): Promise<void>;
  /** Stops intake and waits (bounded) for in-flight handlers. Idempotent. */
  stop(): Promise<void>;
}

export type RunStatus = "running" | "paused" | "completed" | "failed" | "cancelled";

export type WorkflowEventType =
  | "RUN_CREATED"
  | "NODE_SCHEDULED"
  | "NODE_STARTED"
  | "NODE_COMPLETED"
  | "NODE_FAILED"
  | "NODE_RETRIED"
  | "NODE_SKIPPED"
  | "RUN_PAUSED"
  | "RUN_RESUMED"
  | "RUN_CANCELLED"
  | "RUN_COMPLETED"
  | "RUN_FAILED";

/** A run transition before the store assigns its sequence number. */
export interface RunEventDraft {
  runId: string;
  type: WorkflowEventType;
  nodeId?: string;
  attempt?: number;
  correlationId: string;
  occurredAt: Date;
  payload?: unknown;
}

export interface RunEvent extends RunEventDraft {
  /** Per-run, gap-free, starting at 1. */
  sequence: number;
}

/** A node attempt's result, stored as its own row (never inside a shared blob). */
export interface NodeResultRow {
  runId: string;
  nodeId: string;
  attempt: number;
  status: "completed" | "failed" | "skipped";
  output?: unknown;
  action?: string;
  error?: { message: string; retryable?: boolean };
  fencingToken: number;
  recordedAt: Date;
}

/** What the scheduler needs to decide a run's next step. */
export interface RunState {
  runId: string;
  blueprintId: string;
  blueprintVersion: string;
  status: RunStatus;
  input: unknown;
  context: Record<string, unknown>;
  correlationId: string;
  /** In recording order: feed straight into `RunFacts.outcomes`. */
  nodeResults: NodeResultRow[];
  scheduled: { nodeId: string; attempt: number }[];
  updatedAt: Date;
}

/** Durable run state: append-only events plus per-key rows; no read-modify-write of a run blob. */
export interface RunStateStore {
  /**
   * Appends events, assigning the next per-run sequence numbers atomically (two
   * writers never get the same number). Returns the stored events.
   */
  appendEvents(events: readonly RunEventDraft[]): Promise<RunEvent[]>;
  /**
   * Records a node attempt's result once: a second write for the same
   * (runId, nodeId, attempt), or one with a stale fencing token, returns `false`
   * and changes nothing.
   */
  recordNodeResult(row: NodeResultRow): Promise<boolean>;
  /** Reads the state the scheduler needs, or `undefined` for an unknown run. */
  readRun(runId: string): Promise<RunState | undefined>;
  /** Updates the status index row (and its `updatedAt`) for the run. */
  setStatus(runId: string, status: RunStatus, reason?: string): Promise<void>;
  /**
   * For the reconciler: runs `running` whose last update is older than
   * `olderThanSeconds`. Must be served by a table keyed for it (no ALLOW FILTERING).
   */
  findStalledRuns(olderThanSeconds: number, limit: number): Promise<{ runId: string; updatedAt: Date }[]>;
}

/** A held lease; `fencingToken` increases with every grant of the same key. */
export interface Lease {
  key: string;
  fencingToken: number;
  expiresAt: Date;
}

/** Cross-worker coordination (Redis): atomic join bookkeeping and leases. */
export interface CoordinationStore {
  /**
   * Records that `predecessorId` arrived (completed or skipped) at the join
   * `nodeId` of `runId` and returns, atomically, every predecessor that has
   * arrived so far. Idempotent: recording the same arrival twice returns the
   * same set and never counts it twice.
   */
  recordJoinArrival(runId: string, nodeId: string, predecessorId: string, outcome: "completed" | "skipped"): Promise<{ completed: string[]; skipped: string[] }>;
  /**
   * Claims a one-shot marker (e.g. "join X of run R fired"); `true` only for the
   * first caller, so an `any` join fires once.
   */
  claimOnce(key: string, ttlSeconds: number): Promise<boolean>;
  /** Grants a lease if free or expired; `undefined` if someone else holds it. */
  acquireLease(key: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extends a lease still held with this token; `false` if it was lost. */
  renewLease(lease: Lease, ttlMs: number): Promise<boolean>;
  /** Releases a lease if still held with this token. */
  releaseLease(lease: Lease): Promise<void>;
}
