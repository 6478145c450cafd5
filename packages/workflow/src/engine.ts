import { randomUUID } from "node:crypto";
import { BlueprintValidationError, parseBlueprint, type Blueprint } from "./blueprint.ts";
import type { NodeExecutionContext, NodeExecutionResult, NodeRegistry } from "./registry.ts";
import { compileWorkflow, decideNext, timeoutMs, type CompiledWorkflow, type NodeOutcome, type ReadyNode, type SchedulerDecision } from "./scheduler.ts";
import type { CoordinationStore, JobQueue, Lease, NodeJob, NodeResultRow, RunEvent, RunEventDraft, RunState, RunStateStore, RunStatus } from "./transport.ts";

/**
 * The workflow engine: turns node jobs into node executions and scheduler decisions
 * into new jobs. Pure orchestration over the seam interfaces (transport.ts), so the
 * same engine runs on Kafka/Cassandra/Redis and on any other transport.
 *
 * Guarantees, and what gives them:
 * - One writer per run at a time: every step that changes a run holds the run's lease
 *   (CoordinationStore) and ends in one `RunStateStore.commit`, a compare-and-set on the
 *   run's last sequence number: a holder whose lease expired mid-step is refused (nothing
 *   written, nothing published) and its job is redelivered.
 * - A node's result is recorded once (a redelivered job whose result exists is not
 *   executed again) and an attempt is scheduled once (NODE_SCHEDULED commits before the
 *   job is published, and `decideNext` excludes scheduled attempts).
 * - A join's arrivals are recorded atomically in Redis and it fires only when they
 *   cover its predecessors (`all`) or one completed (`any`).
 * - A step costs one commit and one publish of its events and jobs. A store that keeps a
 *   commit's events until they are confirmed published (Cassandra) gets any unconfirmed
 *   commit published again by the run's next step, so a step that died between commit and
 *   publish leaves no gap in the event store (PostgreSQL publishes through its outbox).
 */

/** Where committed run events are published (the Kafka `WorkflowEventPublisher` implements it). */
export interface EventSink {
  publish(events: readonly RunEvent[], context: { workflowId: string; workflowVersion: string; actor?: string }): Promise<void>;
}

/** A run as created by {@link EngineRunStore.createRun}. */
export interface EngineNewRun {
  runId: string;
  blueprintId: string;
  blueprintVersion: string;
  input: unknown;
  correlationId: string;
  transport?: string;
}

/** The run store the engine needs: the seam plus creating a run once. */
export interface EngineRunStore extends RunStateStore {
  /** Creates the run once; `false` if it already existed (nothing written). */
  createRun(run: EngineNewRun): Promise<boolean>;
}

/** Structured logging; every line the engine writes carries runId and correlationId. */
export interface EngineLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What happened to one job, for metrics. */
export type JobOutcome = "completed" | "failed" | "duplicate" | "skipped-inactive" | "unknown-run";

export interface EngineObserver {
  /** Called once per executed node attempt with its wall time. */
  nodeExecuted?(info: { runId: string; nodeId: string; attempt: number; durationMs: number; status: "completed" | "failed" }): void;
  /** Called once per handled job. */
  jobHandled?(info: { runId: string; nodeId: string; attempt: number; outcome: JobOutcome }): void;
}

export interface WorkflowEngineOptions {
  registry: NodeRegistry;
  store: EngineRunStore;
  coordination: CoordinationStore;
  jobs: Pick<JobQueue, "publish">;
  events: EventSink;
  /** Blueprints this engine can run; `startRun` adds the ones it is given. */
  blueprints?: readonly Blueprint[];
  logger?: EngineLogger;
  observer?: EngineObserver;
  /** Lease time-to-live; renewed every third of it while a step runs. Default 30 s. */
  leaseTtlMs?: number;
  /** How long a step waits for a run's lease held by someone else before failing (the job is then redelivered). Default 20 s. */
  leaseWaitMs?: number;
  /** How long claim markers (one reconciliation per stall) live. Default 7 days. */
  claimTtlSeconds?: number;
  /** `actor` of published events. Default `system:worker`. */
  actor?: string;
  /**
   * A step that records a result refreshes the run's `updatedAt` (status `running`) when
   * it is older than this, so an active run never looks stalled to the reconciler.
   * Keep it well below the reconciler's threshold. Default 5 s.
   */
  heartbeatIntervalMs?: number;
}

/** What {@link WorkflowEngine.reconcileRun} did with a run the reconciler found stalled. */
export type ReconcileOutcome =
  /** Ready nodes were re-enqueued (or the run's end was recorded). */
  | { kind: "reconciled"; ready: string[] }
  /** Not stalled any more, not running, or another reconciler handled this stall. */
  | { kind: "skipped"; reason: string };

export interface StartRunRequest {
  /** A blueprint object (validated and analysed here). */
  blueprint: unknown;
  input: unknown;
  correlationId: string;
  /** Defaults to a random UUID. Starting the same run id twice creates it once. */
  runId?: string;
}

/** What a node implementation run by the engine can also read (besides {@link NodeExecutionContext}). */
export interface EngineExecutionContext extends NodeExecutionContext {
  /** Fencing token of the run's lease held for this attempt; record effects with it. */
  fencingToken: number;
  correlationId: string;
}

/** The engine's extra context fields, for implementations typed against {@link NodeExecutionContext}. */
export function engineContextOf(ctx: NodeExecutionContext): { fencingToken: number; correlationId: string } {
  const extended = ctx as Partial<EngineExecutionContext>;
  return { fencingToken: extended.fencingToken ?? 0, correlationId: extended.correlationId ?? "" };
}

/** A node attempt that did not finish within its configured timeout. */
export class NodeTimeoutError extends Error {
  constructor(
    readonly nodeId: string,
    readonly timeoutMs: number,
  ) {
    super(`node "${nodeId}" timed out after ${timeoutMs} ms`);
    this.name = "NodeTimeoutError";
  }
}

/** The run's lease could not be taken within `leaseWaitMs`; the job should be redelivered. */
export class RunLeaseUnavailableError extends Error {
  constructor(readonly runId: string) {
    super(`the lease of run ${runId} is held elsewhere`);
    this.name = "RunLeaseUnavailableError";
  }
}

/**
 * The run changed between reading it and committing (another writer committed: this
 * step's lease was lost). Nothing was written; the job should be redelivered.
 */
export class StaleRunStateError extends Error {
  constructor(readonly runId: string) {
    super(`run ${runId} changed while this step ran (its lease was lost); nothing was committed`);
    this.name = "StaleRunStateError";
  }
}

const DEFAULT_LEASE_TTL_MS = 30_000;
const DEFAULT_LEASE_WAIT_MS = 20_000;
const DEFAULT_CLAIM_TTL_SECONDS = 7 * 24 * 60 * 60;
const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
/** Commands (pause, resume, cancel) take a run's lease ahead of its job steps. */
const PRIORITY = { priority: true } as const;
/** Result rows of skipped nodes use attempt 0: a node is skipped once, never attempted. */
const SKIP_ATTEMPT = 0;

const silentEngineLogger: EngineLogger = { debug() {}, info() {}, warn() {}, error() {} };

export class WorkflowEngine {
  private readonly workflows = new Map<string, CompiledWorkflow>();
  /** The last queued step of each run in this process (see `withRunLease`). */
  private readonly localRunSteps = new Map<string, Promise<void>>();
  private readonly logger: EngineLogger;
  private readonly leaseTtlMs: number;
  private readonly leaseWaitMs: number;
  private readonly claimTtlSeconds: number;
  private readonly heartbeatIntervalMs: number;

  constructor(private readonly options: WorkflowEngineOptions) {
    this.logger = options.logger ?? silentEngineLogger;
    this.leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    this.leaseWaitMs = options.leaseWaitMs ?? DEFAULT_LEASE_WAIT_MS;
    this.claimTtlSeconds = options.claimTtlSeconds ?? DEFAULT_CLAIM_TTL_SECONDS;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    for (const blueprint of options.blueprints ?? []) this.addBlueprint(blueprint);
  }

  /**
   * Validates and analyses a blueprint, checks every `uses` has an implementation, and
   * makes it runnable by this engine.
   * @throws BlueprintValidationError listing every problem (including unknown `uses`).
   */
  addBlueprint(input: unknown): CompiledWorkflow {
    const blueprint = parseBlueprint(input);
    const workflow = compileWorkflow(blueprint);
    const missing = this.options.registry.missingImplementations(blueprint);
    if (missing.length > 0) throw new BlueprintValidationError(blueprint.id, missing);
    this.workflows.set(workflowKey(blueprint.id, blueprint.metadata.version), workflow);
    return workflow;
  }

  /**
   * Starts a run: validates the blueprint, creates the run, commits RUN_CREATED and the
   * start nodes' NODE_SCHEDULED, publishes their jobs. Starting an existing run id
   * again changes nothing and returns `created: false`.
   */
  async startRun(request: StartRunRequest): Promise<{ runId: string; created: boolean }> {
    const workflow = this.addBlueprint(request.blueprint);
    const { blueprint } = workflow;
    const runId = request.runId ?? randomUUID();
    const correlationId = request.correlationId;
    return this.withRunLease(runId, async (lease) => {
      const created = await this.options.store.createRun({
        runId,
        blueprintId: blueprint.id,
        blueprintVersion: blueprint.metadata.version,
        input: request.input,
        correlationId,
      });
      if (!created) {
        // A redelivered request: what the first one committed may not have been published.
        const existing = await this.options.store.readRun(runId);
        if (existing) await this.publishUnconfirmed(existing);
        this.logger.warn("run already exists; start ignored", { runId, correlationId });
        return { runId, created: false };
      }
      const decision = decideNext(workflow, { input: request.input, outcomes: [] });
      const drafts: RunEventDraft[] = [
        { runId, type: "RUN_CREATED", correlationId, occurredAt: new Date(), payload: { blueprintId: blueprint.id, version: blueprint.metadata.version, input: request.input } },
      ];
      await this.commitStep(workflow, { runId, correlationId, lastSequence: 0 }, lease, { drafts, ready: decision.ready });
      this.logger.info("run started", { runId, correlationId, blueprintId: blueprint.id, startNodes: decision.ready.map((r) => r.nodeId) });
      return { runId, created: true };
    });
  }

  /**
   * Handles one delivered job. Resolving means everything it caused is durable (the
   * transport may acknowledge it); rejecting asks for redelivery. Safe to call twice
   * with the same job, concurrently or not.
   */
  async handleJob(job: NodeJob): Promise<void> {
    const log = { runId: job.runId, correlationId: job.correlationId, nodeId: job.nodeId, attempt: job.attempt };
    const outcome = await this.withRunLease(job.runId, (lease) => this.handleJobUnderLease(job, lease, log));
    this.options.observer?.jobHandled?.({ runId: job.runId, nodeId: job.nodeId, attempt: job.attempt, outcome });
  }

  /** Pauses a running run: nothing new is scheduled until {@link resume}. `false` if it was not running. */
  async pause(runId: string, reason: string): Promise<boolean> {
    return this.changeStatus(runId, "paused", "RUN_PAUSED", reason, ["running"]);
  }

  /** Cancels a running or paused run: no further node starts. `false` if it had already ended. */
  async cancel(runId: string, reason: string): Promise<boolean> {
    return this.changeStatus(runId, "cancelled", "RUN_CANCELLED", reason, ["running", "paused"]);
  }

  /**
   * Resumes a paused run and re-enqueues exactly the nodes `decideNext` finds ready.
   * TRICKY: jobs that arrived while paused were dropped although they count as
   * scheduled, so readiness is computed ignoring earlier scheduling; an attempt that
   * was in flight during the pause may run again, and its result is recorded once.
   */
  async resume(runId: string, reason: string): Promise<boolean> {
    return this.withRunLease(runId, async (lease) => {
      const state = await this.options.store.readRun(runId);
      if (state) await this.publishUnconfirmed(state);
      if (!state || state.status !== "paused") return false;
      const workflow = this.workflowOf(state);
      const decision = decideNext(workflow, { ...factsOf(state), scheduled: [] });
      const drafts: RunEventDraft[] = [
        { runId, type: "RUN_RESUMED", correlationId: state.correlationId, occurredAt: new Date(), payload: { reason, ready: decision.ready.map((r) => `${r.nodeId}#${r.attempt}`) } },
      ];
      await this.finishStep(workflow, state, lease, decision, { drafts, results: [], status: { status: "running", reason } });
      this.logger.info("run resumed", { runId, correlationId: state.correlationId, reason, ready: decision.ready.map((r) => r.nodeId) });
      return true;
    }, PRIORITY);
  }

  /**
   * Resumes a run the reconciler found stalled (`running`, not updated since
   * `stalledBefore`): under the run's lease it re-reads the run, and re-enqueues exactly
   * the nodes `decideNext` finds ready (or records the run's end), with this lease's
   * (newer) fencing token. TRICKY: lost jobs count as scheduled, so readiness ignores
   * earlier scheduling (as in {@link resume}); a job that was merely slow may run again
   * and its result is recorded once. The commit refreshes `updatedAt` (and a claim per
   * stall, run id + `updatedAt`), so a second reconciler skips the same stall.
   * @throws if the run's blueprint is unknown to this engine or its state is corrupt.
   */
  async reconcileRun(runId: string, stalledBefore: Date): Promise<ReconcileOutcome> {
    return this.withRunLease(runId, async (lease) => {
      const state = await this.options.store.readRun(runId);
      if (!state) return { kind: "skipped", reason: "unknown run" };
      await this.publishUnconfirmed(state);
      if (state.status !== "running") return { kind: "skipped", reason: `run is ${state.status}` };
      if (state.updatedAt.getTime() >= stalledBefore.getTime()) return { kind: "skipped", reason: "run progressed meanwhile" };
      const workflow = this.workflowOf(state);
      if (!(await this.options.coordination.claimOnce(`${runId}:reconciled:${state.updatedAt.getTime()}`, this.claimTtlSeconds))) {
        return { kind: "skipped", reason: "stall already reconciled" };
      }
      const decision = decideNext(workflow, { ...factsOf(state), scheduled: [] });
      await this.finishStep(workflow, state, lease, decision, { drafts: [], results: [], status: { status: "running" } });
      const ready = decision.ready.map((r) => `${r.nodeId}#${r.attempt}`);
      this.logger.info("stalled run reconciled", { runId, correlationId: state.correlationId, ready, status: decision.status });
      return { kind: "reconciled", ready };
    });
  }

  /**
   * Marks a run failed (RUN_FAILED with `reason`) without needing its blueprint: for the
   * reconciler, when the blueprint is unknown or the state cannot be read. `false` if the
   * run does not exist or had already ended.
   */
  async failRun(runId: string, reason: string): Promise<boolean> {
    return this.withRunLease(runId, async (lease) => {
      let state: RunState | undefined;
      try {
        state = await this.options.store.readRun(runId);
        if (!state) return false;
        await this.publishUnconfirmed(state);
      } catch (error) {
        // A corrupt run cannot be read; its status row can still be set.
        this.logger.warn("run state unreadable", { runId, error });
      }
      if (!state) {
        await this.options.store.setStatus(runId, "failed", reason);
      } else {
        if (state.status !== "running" && state.status !== "paused") return false;
        const events = await this.options.store.commit({
          runId,
          fencingToken: lease.fencingToken,
          expectedLastSequence: state.lastSequence,
          events: [{ runId, type: "RUN_FAILED", correlationId: state.correlationId, occurredAt: new Date(), payload: { failure: { message: reason } } }],
          status: { status: "failed", reason },
        });
        if (!events) throw new StaleRunStateError(runId);
        await this.options.events.publish(events, { workflowId: state.blueprintId, workflowVersion: state.blueprintVersion, actor: this.options.actor });
        await this.options.store.markPublished?.(runId, events[0]!.sequence);
      }
      this.logger.warn("run marked failed", { runId, correlationId: state?.correlationId, reason });
      return true;
    });
  }

  private async changeStatus(runId: string, status: RunStatus, type: RunEventDraft["type"], reason: string, from: RunStatus[]): Promise<boolean> {
    return this.withRunLease(runId, async (lease) => {
      const state = await this.options.store.readRun(runId);
      if (state) await this.publishUnconfirmed(state);
      if (!state || !from.includes(state.status)) return false;
      const workflow = this.workflowOf(state);
      const drafts: RunEventDraft[] = [{ runId, type, correlationId: state.correlationId, occurredAt: new Date(), payload: { reason } }];
      await this.commitStep(workflow, state, lease, { drafts, status: { status, reason } });
      this.logger.info(`run ${status}`, { runId, correlationId: state.correlationId, reason });
      return true;
    }, PRIORITY);
  }

  private async handleJobUnderLease(job: NodeJob, lease: Lease, log: Record<string, unknown>): Promise<JobOutcome> {
    const state = await this.options.store.readRun(job.runId);
    if (!state) {
      this.logger.warn("job for an unknown run dropped", log);
      return "unknown-run";
    }
    await this.publishUnconfirmed(state);
    if (state.nodeResults.some((r) => r.nodeId === job.nodeId && r.attempt === job.attempt)) {
      this.logger.info("duplicate job ignored", log);
      return "duplicate";
    }
    if (state.status !== "running") {
      // NOTE: a paused run's jobs are dropped; `resume` re-enqueues what is ready.
      this.logger.info("job of an inactive run dropped", { ...log, status: state.status });
      return "skipped-inactive";
    }
    const workflow = this.workflowOf(state);
    const node = workflow.nodes.get(job.nodeId);
    if (!node) throw new Error(`run ${job.runId}: blueprint ${workflow.blueprint.id} has no node "${job.nodeId}"`);

    const startedAt = new Date();
    const startedClock = performance.now();
    const result = await this.execute(workflow, state, job, lease);
    const durationMs = performance.now() - startedClock;
    this.options.observer?.nodeExecuted?.({ runId: job.runId, nodeId: job.nodeId, attempt: job.attempt, durationMs, status: result.status });
    if (result.status === "failed") this.logger.warn("node attempt failed", { ...log, error: result.error.message });

    const row: NodeResultRow = {
      runId: job.runId,
      nodeId: job.nodeId,
      attempt: job.attempt,
      status: result.status,
      fencingToken: lease.fencingToken,
      recordedAt: new Date(),
      ...(result.status === "completed" ? { output: result.output, action: result.action } : { error: result.error }),
    };
    // CRITICAL: we hold the run's lease since reading `state`, so it plus our own result
    // are the run's facts; the commit's compare-and-set on the sequence refuses the step
    // if anyone else changed the run meanwhile (our lease was lost).
    const facts = { ...state, nodeResults: [...state.nodeResults, row] };
    const decision = decideNext(workflow, factsOf(facts));
    const base = { runId: job.runId, nodeId: job.nodeId, attempt: job.attempt, correlationId: state.correlationId };
    // TRADE-OFF: NODE_STARTED is committed with the attempt's end (it keeps its own
    // `occurredAt`), so a step is one commit; an attempt that dies mid-run leaves no event.
    const drafts: RunEventDraft[] = [
      { ...base, type: "NODE_STARTED", occurredAt: startedAt },
      result.status === "completed"
        ? { ...base, type: "NODE_COMPLETED", occurredAt: row.recordedAt, payload: { action: result.action, durationMs: Math.round(durationMs) } }
        : { ...base, type: "NODE_FAILED", occurredAt: row.recordedAt, payload: { error: result.error, durationMs: Math.round(durationMs) } },
    ];
    // NOTE: the heartbeat the reconciler relies on; throttled to keep steps cheap.
    const heartbeat = Date.now() - state.updatedAt.getTime() >= this.heartbeatIntervalMs ? { status: "running" as const } : undefined;
    await this.finishStep(workflow, facts, lease, decision, { drafts, results: [row], status: heartbeat });
    return result.status;
  }

  /**
   * Publishes again the commits of the run whose publication was never confirmed (the step
   * that committed them died, or Kafka refused, before it could), with the jobs they
   * scheduled that have no result yet, then confirms them. Called by every step first,
   * under the run's lease. Downstream, both are idempotent (events by run and sequence,
   * jobs by their recorded results).
   */
  private async publishUnconfirmed(state: RunState): Promise<void> {
    const unconfirmed = state.unconfirmed ?? [];
    if (unconfirmed.length === 0) return;
    const events = unconfirmed.flatMap((commit) => commit.events);
    const scheduledByThem = new Set(events.filter((e) => e.type === "NODE_SCHEDULED").map((e) => `${e.nodeId}#${e.attempt ?? 1}`));
    // The inputs of those jobs as the scheduler derives them (as for a reconciliation).
    const workflow = this.workflows.get(workflowKey(state.blueprintId, state.blueprintVersion));
    const ready = workflow && state.status === "running" && scheduledByThem.size > 0 ? decideNext(workflow, { ...factsOf(state), scheduled: [] }).ready : [];
    const jobs = ready
      .filter((r) => scheduledByThem.has(`${r.nodeId}#${r.attempt}`))
      .map((r): NodeJob => ({ runId: state.runId, nodeId: r.nodeId, attempt: r.attempt, fencingToken: 0, correlationId: state.correlationId, input: r.input }));
    await Promise.all([
      this.options.events.publish(events, { workflowId: state.blueprintId, workflowVersion: state.blueprintVersion, actor: this.options.actor }),
      jobs.length > 0 ? this.options.jobs.publish(jobs) : undefined,
    ]);
    for (const commit of unconfirmed) await this.options.store.markPublished?.(state.runId, commit.firstSequence);
    this.logger.warn("unconfirmed events of earlier commits published again", { runId: state.runId, correlationId: state.correlationId, events: events.length, jobs: jobs.length });
  }

  /** Adds skips, then the ready nodes (through their joins) or the run's end, and commits. */
  private async finishStep(
    workflow: CompiledWorkflow,
    state: RunState,
    lease: Lease,
    decision: SchedulerDecision,
    step: { drafts: RunEventDraft[]; results: NodeResultRow[]; status?: { status: RunStatus; reason?: string } },
  ): Promise<void> {
    const { runId, correlationId } = state;
    const { drafts, results } = step;
    for (const nodeId of decision.skipped) {
      results.push({ runId, nodeId, attempt: SKIP_ATTEMPT, status: "skipped", fencingToken: lease.fencingToken, recordedAt: new Date() });
      drafts.push({ runId, type: "NODE_SKIPPED", nodeId, correlationId, occurredAt: new Date() });
    }
    if (decision.status === "running") {
      const ready = await this.joinsAllow(workflow, runId, decision, decision.ready);
      await this.commitStep(workflow, state, lease, { drafts, results, ready, status: step.status });
      return;
    }
    const type = decision.status === "completed" ? "RUN_COMPLETED" : "RUN_FAILED";
    drafts.push({ runId, type, correlationId, occurredAt: new Date(), payload: decision.failure ? { failure: decision.failure } : {} });
    await this.commitStep(workflow, state, lease, { drafts, results, status: { status: decision.status, reason: decision.failure?.message } });
    this.logger.info(`run ${decision.status}`, { runId, correlationId, failure: decision.failure });
  }

  /**
   * Records every predecessor that has arrived at each ready join (atomically, in the
   * coordination store) and keeps the joins whose recorded arrivals satisfy their strategy.
   * NOTE: arrivals are recorded before the step commits; an arrival is only ever true of a
   * finished predecessor, and a join also needs `decideNext` to find it ready.
   */
  private async joinsAllow(workflow: CompiledWorkflow, runId: string, decision: SchedulerDecision, ready: ReadyNode[]): Promise<ReadyNode[]> {
    const allowed: ReadyNode[] = [];
    for (const candidate of ready) {
      const sources = [...new Set((workflow.incoming.get(candidate.nodeId) ?? []).map((e) => e.edge.source))];
      if (sources.length < 2 || candidate.reason !== "edges") {
        allowed.push(candidate);
        continue;
      }
      let arrivals = { completed: [] as string[], skipped: [] as string[] };
      for (const source of sources) {
        const status = decision.nodeStatuses[source];
        if (status === "completed" || status === "recovered" || status === "skipped") {
          arrivals = await this.options.coordination.recordJoinArrival(runId, candidate.nodeId, source, status === "skipped" ? "skipped" : "completed");
        }
      }
      const strategy = workflow.nodes.get(candidate.nodeId)?.config?.joinStrategy ?? "all";
      const arrived = arrivals.completed.length + arrivals.skipped.length;
      const satisfied = strategy === "any" ? arrivals.completed.length > 0 : arrived >= sources.length;
      if (satisfied) allowed.push(candidate);
      else this.logger.warn("join not satisfied by recorded arrivals; not fired", { runId, nodeId: candidate.nodeId, arrivals });
    }
    return allowed;
  }

  /**
   * Commits one change of the run (events, results, NODE_RETRIED/NODE_SCHEDULED of the
   * ready nodes, status) in one `RunStateStore.commit`, then publishes its events and the
   * ready nodes' jobs.
   * CRITICAL: NODE_SCHEDULED is durable before the job exists, so no later decision
   * schedules it again; a refused commit publishes nothing and throws
   * {@link StaleRunStateError} (the job is redelivered and sees the newer state).
   */
  private async commitStep(
    workflow: CompiledWorkflow,
    run: Pick<RunState, "runId" | "correlationId" | "lastSequence">,
    lease: Lease,
    step: { drafts: RunEventDraft[]; results?: NodeResultRow[]; ready?: readonly ReadyNode[]; status?: { status: RunStatus; reason?: string } },
  ): Promise<void> {
    const { runId, correlationId } = run;
    const ready = step.ready ?? [];
    const drafts = [...step.drafts];
    for (const candidate of ready) {
      const now = new Date();
      if (candidate.reason === "retry") {
        drafts.push({ runId, type: "NODE_RETRIED", nodeId: candidate.nodeId, attempt: candidate.attempt, correlationId, occurredAt: now, payload: { delayMs: candidate.delayMs } });
      }
      drafts.push({ runId, type: "NODE_SCHEDULED", nodeId: candidate.nodeId, attempt: candidate.attempt, correlationId, occurredAt: now, payload: { reason: candidate.reason, delayMs: candidate.delayMs } });
    }
    if (drafts.length === 0 && !step.status) return;
    const events = await this.options.store.commit({
      runId,
      fencingToken: lease.fencingToken,
      expectedLastSequence: run.lastSequence,
      events: drafts,
      results: step.results ?? [],
      status: step.status,
    });
    if (!events) throw new StaleRunStateError(runId);

    const byDelay = new Map<number, NodeJob[]>();
    for (const candidate of ready) {
      const jobs = byDelay.get(candidate.delayMs) ?? [];
      jobs.push({ runId, nodeId: candidate.nodeId, attempt: candidate.attempt, fencingToken: lease.fencingToken, correlationId, input: candidate.input });
      byDelay.set(candidate.delayMs, jobs);
    }
    // NOTE: sent together; the Kafka producer coalesces concurrent sends into one request.
    await Promise.all([
      events.length > 0
        ? this.options.events.publish(events, { workflowId: workflow.blueprint.id, workflowVersion: workflow.blueprint.metadata.version, actor: this.options.actor })
        : undefined,
      ...[...byDelay].map(([delayMs, jobs]) => this.options.jobs.publish(jobs, delayMs > 0 ? { delayMs } : undefined)),
    ]);
    if (events.length > 0) await this.options.store.markPublished?.(runId, events[0]!.sequence);
  }
  /** Runs the node implementation with its timeout; every error becomes a failed outcome. */
  private async execute(
    workflow: CompiledWorkflow,
    state: RunState,
    job: NodeJob,
    lease: Lease,
  ): Promise<{ status: "completed"; output?: unknown; action?: string } | { status: "failed"; error: { message: string; retryable?: boolean } }> {
    const node = workflow.nodes.get(job.nodeId)!;
    const timeout = timeoutMs(node.config);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      const implementation = this.options.registry.resolve(node.uses, node.id);
      const context: EngineExecutionContext = {
        runId: job.runId,
        nodeId: job.nodeId,
        attempt: job.attempt,
        params: node.params ?? {},
        input: job.input,
        context: state.context,
        signal: controller.signal,
        fencingToken: lease.fencingToken,
        correlationId: state.correlationId,
      };
      const running = implementation(context);
      const result: NodeExecutionResult =
        timeout === undefined
          ? await running
          : await Promise.race([
              running,
              new Promise<never>((_, reject) => {
                timer = setTimeout(() => {
                  const error = new NodeTimeoutError(node.id, timeout);
                  controller.abort(error);
                  reject(error);
                }, timeout);
              }),
            ]);
      return { status: "completed", output: result.output, action: result.action };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retryable = (error as { retryable?: unknown } | null)?.retryable === false ? false : undefined;
      return { status: "failed", error: retryable === false ? { message, retryable } : { message } };
    } finally {
      clearTimeout(timer);
    }
  }

  private workflowOf(state: RunState): CompiledWorkflow {
    const workflow = this.workflows.get(workflowKey(state.blueprintId, state.blueprintVersion));
    if (!workflow) throw new Error(`run ${state.runId}: blueprint ${state.blueprintId}@${state.blueprintVersion} is not known to this engine`);
    return workflow;
  }

  /**
   * Runs `step` holding the run's lease, renewed while it runs; waits (bounded) for a
   * lease held elsewhere, then throws {@link RunLeaseUnavailableError}. `priority` steps
   * (pause, resume, cancel) are not starved by a stream of job steps of the same run.
   */
  private async withRunLease<T>(runId: string, step: (lease: Lease) => Promise<T>, options: { priority?: boolean } = {}): Promise<T> {
    // CRITICAL: a priority step (pause, resume, cancel) must not queue behind this
    // process's waiting job steps, or a run's whole delivered fan-out would start after a
    // cancel was given; it asks Redis directly, whose priority mark keeps the next job step out.
    if (options.priority) return this.withRedisLease(runId, step, options);
    // NOTE: steps of one run in this process queue here first, so they follow each other
    // without polling Redis for the lease (RabbitMQ hands a run's parallel jobs to one
    // process at once); the lease still orders steps across processes.
    const previous = this.localRunSteps.get(runId) ?? Promise.resolve();
    let done!: () => void;
    const tail = previous.then(() => new Promise<void>((resolve) => (done = resolve)));
    this.localRunSteps.set(runId, tail);
    await previous;
    try {
      return await this.withRedisLease(runId, step, options);
    } finally {
      done();
      if (this.localRunSteps.get(runId) === tail) this.localRunSteps.delete(runId);
    }
  }

  private async withRedisLease<T>(runId: string, step: (lease: Lease) => Promise<T>, options: { priority?: boolean }): Promise<T> {
    const { coordination } = this.options;
    const key = `run:${runId}`;
    const deadline = Date.now() + this.leaseWaitMs;
    let lease = await coordination.acquireLease(key, this.leaseTtlMs, options);
    for (let wait = 5; !lease; wait = Math.min(wait * 2, 200)) {
      if (Date.now() > deadline) throw new RunLeaseUnavailableError(runId);
      await sleep(wait);
      lease = await coordination.acquireLease(key, this.leaseTtlMs, options);
    }
    const held = lease;
    const renewal = setInterval(() => {
      void coordination.renewLease(held, this.leaseTtlMs).then(
        (renewed) => {
          if (!renewed) this.logger.warn("run lease lost during a step; its writes will be fenced", { runId });
        },
        (error: unknown) => this.logger.warn("run lease renewal failed", { runId, error }),
      );
    }, Math.max(1, Math.floor(this.leaseTtlMs / 3)));
    renewal.unref();
    try {
      return await step(held);
    } finally {
      clearInterval(renewal);
      await coordination.releaseLease(held).catch((error: unknown) => this.logger.warn("run lease release failed", { runId, error }));
    }
  }
}

/** The scheduler's facts from a stored run. */
export function factsOf(state: RunState): { input: unknown; context: Record<string, unknown>; outcomes: NodeOutcome[]; scheduled: { nodeId: string; attempt: number }[] } {
  const outcomes = state.nodeResults.map((row): NodeOutcome => {
    if (row.status === "completed") return { nodeId: row.nodeId, attempt: row.attempt, status: "completed", output: row.output, action: row.action };
    if (row.status === "failed") return { nodeId: row.nodeId, attempt: row.attempt, status: "failed", error: row.error ?? { message: "unknown error" } };
    return { nodeId: row.nodeId, status: "skipped" };
  });
  return { input: state.input, context: state.context, outcomes, scheduled: state.scheduled };
}

function workflowKey(id: string, version: string): string {
  return `${id}@${version}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
