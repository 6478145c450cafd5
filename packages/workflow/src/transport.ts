/**
 * The seams between the pure runtime and its infrastructure: Kafka, Cassandra and Redis
 * (issue #4), RabbitMQ, PostgreSQL and Redis (issue #6). Interfaces only: nothing here knows a broker.
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
  /** Sequence number of the run's last event (0 before the first); a commit's compare-and-set value. */
  lastSequence: number;
  /**
   * Committed events whose publication was not confirmed (`RunStateStore.markPublished`),
   * oldest first, if the store keeps them (the Cassandra store does; PostgreSQL's outbox
   * publishes its own): the next step of the run publishes them again, because the step
   * that committed them may have died before publishing.
   */
  unconfirmed?: { firstSequence: number; events: RunEvent[] }[];
}

/**
 * One atomic change of a run, made by the holder of the run's lease: its events (numbered
 * on from `expectedLastSequence`), the node results they report, and optionally a new
 * status. NODE_SCHEDULED events also mark their attempts scheduled.
 */
export interface RunCommit {
  runId: string;
  /** The lease's fencing token; a commit with a token older than the run's last is refused. */
  fencingToken: number;
  /** `RunState.lastSequence` as read under the lease; the commit is refused if it moved. */
  expectedLastSequence: number;
  events: readonly RunEventDraft[];
  /** Results recorded by this commit (a node attempt's, skipped nodes'); each (node, attempt) once. */
  results?: readonly NodeResultRow[];
  /** The run's new status (and `updatedAt` = now); also a heartbeat when unchanged. */
  status?: { status: RunStatus; reason?: string };
}

/** Durable run state: append-only events plus per-key rows; no read-modify-write of a run blob. */
export interface RunStateStore {
  /**
   * Commits a run change atomically (all of it or none): a compare-and-set on the run's
   * last sequence number, so of two writers that read the same state only the first
   * commits, and sequence numbers stay gap-free. Returns the numbered events, or
   * `undefined` when refused (the run moved on since `expectedLastSequence`, or a newer
   * fencing token committed): the caller's view is stale and nothing was written.
   */
  commit(commit: RunCommit): Promise<RunEvent[] | undefined>;
  /** Reads the state the scheduler needs, or `undefined` for an unknown run. */
  readRun(runId: string): Promise<RunState | undefined>;
  /**
   * Confirms that the events of the commit starting at `firstSequence` were published, so
   * `readRun` stops returning them as unconfirmed. Optional: stores whose events leave
   * through an outbox of their own do not need it.
   */
  markPublished?(runId: string, firstSequence: number): Promise<void>;
  /** Sets the run's status (and its `updatedAt`) without events: for runs whose state cannot be read. */
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
  /**
   * Grants a lease if free or expired; `undefined` if someone else holds it. A `priority`
   * caller that is refused is queued for a moment: until it gets the lease (or stops
   * asking), plain callers are refused, so a steady stream of them cannot starve it.
   */
  acquireLease(key: string, ttlMs: number, options?: { priority?: boolean }): Promise<Lease | undefined>;
  /** Extends a lease still held with this token; `false` if it was lost. */
  renewLease(lease: Lease, ttlMs: number): Promise<boolean>;
  /** Releases a lease if still held with this token. */
  releaseLease(lease: Lease): Promise<void>;
}
