import type { EngineNewRun, EngineRunStore, EventSink } from "./engine.ts";
import type { CoordinationStore, JobQueue, Lease, NodeJob, NodeResultRow, RunCommit, RunEvent, RunState, RunStatus } from "./transport.ts";

/**
 * In-memory fakes of the engine's seams, for unit tests: the same contracts as the
 * Cassandra/Redis/Kafka adapters (once-only results with fencing, gap-free sequences,
 * atomic join arrivals, fenced leases), without the services.
 */

interface StoredRun {
  run: EngineNewRun;
  status: RunStatus;
  reason?: string;
  results: NodeResultRow[];
  scheduled: { nodeId: string; attempt: number }[];
  events: RunEvent[];
  context: Record<string, unknown>;
  maxFence: number;
  updatedAt: Date;
  unconfirmed: { firstSequence: number; events: RunEvent[] }[];
}

export class InMemoryRunStore implements EngineRunStore {
  readonly runs = new Map<string, StoredRun>();
  readonly effects = new Map<string, Set<string>>();

  async createRun(run: EngineNewRun): Promise<boolean> {
    if (this.runs.has(run.runId)) return false;
    this.runs.set(run.runId, { run, status: "running", results: [], scheduled: [], events: [], context: {}, maxFence: 0, updatedAt: new Date(), unconfirmed: [] });
    return true;
  }

  /** Same contract as the adapters: compare-and-set on the last sequence and the fence, all or nothing. */
  async commit(commit: RunCommit): Promise<RunEvent[] | undefined> {
    const stored = this.require(commit.runId);
    if (stored.events.length !== commit.expectedLastSequence || commit.fencingToken < stored.maxFence) return undefined;
    for (const row of commit.results ?? []) {
      if (stored.results.some((r) => r.nodeId === row.nodeId && r.attempt === row.attempt)) throw new Error(`result of ${row.nodeId}#${row.attempt} committed twice`);
    }
    stored.maxFence = commit.fencingToken;
    const events = commit.events.map((draft, index): RunEvent => ({ ...draft, sequence: commit.expectedLastSequence + index + 1 }));
    for (const row of commit.results ?? []) stored.results.push(structuredClone(row));
    // As the Cassandra store: a commit's events are kept until confirmed published.
    if (events.length > 0) stored.unconfirmed.push({ firstSequence: events[0]!.sequence, events });
    for (const event of events) {
      stored.events.push(event);
      if (event.type === "NODE_SCHEDULED" && event.nodeId !== undefined) {
        const attempt = event.attempt ?? 1;
        if (!stored.scheduled.some((s) => s.nodeId === event.nodeId && s.attempt === attempt)) stored.scheduled.push({ nodeId: event.nodeId, attempt });
      }
    }
    if (commit.status) await this.setStatus(commit.runId, commit.status.status, commit.status.reason);
    return events;
  }

  async markPublished(runId: string, firstSequence: number): Promise<void> {
    const stored = this.require(runId);
    stored.unconfirmed = stored.unconfirmed.filter((commit) => commit.firstSequence !== firstSequence);
  }

  async readRun(runId: string): Promise<RunState | undefined> {
    const stored = this.runs.get(runId);
    if (!stored) return undefined;
    return structuredClone({
      runId,
      blueprintId: stored.run.blueprintId,
      blueprintVersion: stored.run.blueprintVersion,
      status: stored.status,
      input: stored.run.input,
      context: stored.context,
      correlationId: stored.run.correlationId,
      nodeResults: stored.results,
      scheduled: stored.scheduled,
      updatedAt: stored.updatedAt,
      lastSequence: stored.events.length,
      unconfirmed: stored.unconfirmed,
    });
  }

  async setStatus(runId: string, status: RunStatus, reason?: string): Promise<void> {
    const stored = this.require(runId);
    stored.status = status;
    stored.reason = reason;
    stored.updatedAt = new Date();
  }

  async findStalledRuns(olderThanSeconds: number, limit: number): Promise<{ runId: string; updatedAt: Date }[]> {
    const cutoff = Date.now() - olderThanSeconds * 1000;
    return [...this.runs.values()]
      .filter((r) => r.status === "running" && r.updatedAt.getTime() < cutoff)
      .slice(0, limit)
      .map((r) => ({ runId: r.run.runId, updatedAt: r.updatedAt }));
  }

  /** Records an effect once per (run, node, effect id); `true` for the first write. */
  async recordEffect(runId: string, nodeId: string, effectId: string): Promise<boolean> {
    const effects = this.effects.get(runId) ?? new Set<string>();
    this.effects.set(runId, effects);
    const key = `${nodeId}/${effectId}`;
    if (effects.has(key)) return false;
    effects.add(key);
    return true;
  }

  eventTypes(runId: string): string[] {
    return this.require(runId).events.map((e) => (e.nodeId ? `${e.type}:${e.nodeId}` : e.type));
  }

  private require(runId: string): StoredRun {
    const stored = this.runs.get(runId);
    if (!stored) throw new Error(`unknown run ${runId}`);
    return stored;
  }
}

export class InMemoryCoordinationStore implements CoordinationStore {
  private readonly joins = new Map<string, { completed: Set<string>; skipped: Set<string> }>();
  private readonly claims = new Set<string>();
  private readonly leases = new Map<string, { token: number; expiresAt: number }>();
  /** Keys a refused priority caller waits for, until when. */
  private readonly priorityWaits = new Map<string, number>();
  private tokenCounter = 0;

  async recordJoinArrival(runId: string, nodeId: string, predecessorId: string, outcome: "completed" | "skipped"): Promise<{ completed: string[]; skipped: string[] }> {
    const key = `${runId}/${nodeId}`;
    const join = this.joins.get(key) ?? { completed: new Set<string>(), skipped: new Set<string>() };
    this.joins.set(key, join);
    const other = outcome === "completed" ? join.skipped : join.completed;
    if (!other.has(predecessorId)) join[outcome].add(predecessorId);
    return { completed: [...join.completed].sort(), skipped: [...join.skipped].sort() };
  }

  async claimOnce(key: string): Promise<boolean> {
    if (this.claims.has(key)) return false;
    this.claims.add(key);
    return true;
  }

  async acquireLease(key: string, ttlMs: number, options: { priority?: boolean } = {}): Promise<Lease | undefined> {
    const held = this.leases.get(key);
    if (held && held.expiresAt > Date.now()) {
      if (options.priority) this.priorityWaits.set(key, Date.now() + 1_000);
      return undefined;
    }
    if (!options.priority && (this.priorityWaits.get(key) ?? 0) > Date.now()) return undefined;
    this.priorityWaits.delete(key);
    const token = ++this.tokenCounter;
    const expiresAt = Date.now() + ttlMs;
    this.leases.set(key, { token, expiresAt });
    return { key, fencingToken: token, expiresAt: new Date(expiresAt) };
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    const held = this.leases.get(lease.key);
    if (!held || held.token !== lease.fencingToken) return false;
    held.expiresAt = Date.now() + ttlMs;
    return true;
  }

  async releaseLease(lease: Lease): Promise<void> {
    if (this.leases.get(lease.key)?.token === lease.fencingToken) this.leases.delete(lease.key);
  }
}

/** Jobs wait in `pending` until {@link deliverAll} hands them to the consumer. */
export class InMemoryJobQueue implements JobQueue {
  readonly pending: NodeJob[] = [];
  readonly published: { job: NodeJob; delayMs: number }[] = [];
  private handler: ((job: NodeJob) => Promise<void>) | undefined;

  async publish(jobs: readonly NodeJob[], options: { delayMs?: number } = {}): Promise<void> {
    for (const job of jobs) {
      this.pending.push(structuredClone(job));
      this.published.push({ job: structuredClone(job), delayMs: options.delayMs ?? 0 });
    }
  }

  async consume(handler: (job: NodeJob) => Promise<void>): Promise<void> {
    this.handler = handler;
  }

  async stop(): Promise<void> {
    this.handler = undefined;
  }

  /**
   * Delivers pending jobs (each `copies` times, the copies concurrently) until none are
   * left or `maxRounds` is reached. Returns the number of deliveries.
   */
  async deliverAll(options: { copies?: number; maxRounds?: number } = {}): Promise<number> {
    const handler = this.handler;
    if (!handler) throw new Error("consume() first");
    let deliveries = 0;
    for (let round = 0; round < (options.maxRounds ?? 100) && this.pending.length > 0; round++) {
      const batch = this.pending.splice(0);
      for (const job of batch) {
        await Promise.all(Array.from({ length: options.copies ?? 1 }, () => handler(structuredClone(job))));
        deliveries += options.copies ?? 1;
      }
    }
    return deliveries;
  }
}

export class InMemoryEventSink implements EventSink {
  readonly events: RunEvent[] = [];

  async publish(events: readonly RunEvent[]): Promise<void> {
    this.events.push(...events);
  }
}
