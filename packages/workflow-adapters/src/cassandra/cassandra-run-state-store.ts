import { randomUUID } from "node:crypto";
import { crc32 } from "node:zlib";
import cassandra from "cassandra-driver";
import type { NodeResultRow, RunCommit, RunEvent, RunState, RunStateStore, RunStatus } from "@taskflow/workflow";

const { TimeUuid } = cassandra.types;

/**
 * Number of `workflow_runs_by_status` partitions per status. CRITICAL: the same formula
 * as kafka/cassandra/006-workflow.cql documents; changing it means rewriting the table.
 */
export const STATUS_BUCKETS = 16;

/** The status index bucket of a run: crc32(utf8(run_id)) % 16. */
export function statusBucket(runId: string): number {
  return crc32(Buffer.from(runId, "utf8")) % STATUS_BUCKETS;
}

/** A new run, as written by {@link CassandraRunStateStore.createRun}. */
export interface NewRun {
  runId: string;
  blueprintId: string;
  blueprintVersion: string;
  input: unknown;
  correlationId: string;
  /** How the run was requested (e.g. `kafka`); stored as is. */
  transport?: string;
  /** Defaults to `running`. */
  status?: RunStatus;
  createdAt?: Date;
}

/** A node implementation's side effect, as counted by the example workflows' tests. */
export interface NodeEffect {
  kind: string;
  attempt: number;
  fencingToken: number;
  detail?: unknown;
  createdAt?: Date;
}

/** Options for {@link CassandraRunStateStore}. */
export interface CassandraRunStateStoreOptions {
  /** Keyspace of the workflow tables. Default `taskflow`. */
  keyspace?: string;
}

/**
 * A commit's events are kept in the run's workflow_node_results partition under this node
 * id (blueprint node ids are never empty) and the commit's first sequence number as `attempt`.
 */
const COMMIT_ROW_NODE_ID = "";

/** The run input lives in workflow_run_context under this key (see 006-workflow.cql). */
const INPUT_CONTEXT_KEY = "input";

/**
 * {@link RunStateStore} on Cassandra (tables of kafka/cassandra/006 and 007). Every
 * statement is prepared; a run's results and sequence numbers change only through one
 * lightweight transaction per commit, and its status only by the lease holder that just
 * committed.
 * The caller owns the client (connect and shutdown).
 */
export class CassandraRunStateStore implements RunStateStore {
  private readonly cql: ReturnType<typeof statements>;

  constructor(
    private readonly client: cassandra.Client,
    options: CassandraRunStateStoreOptions = {},
  ) {
    this.cql = statements(options.keyspace ?? "taskflow");
  }

  /**
   * Creates a run once: the workflow_runs row (INSERT IF NOT EXISTS, so a redelivered
   * request creates no second run), its status index row and its input. Returns `false`
   * if the run already existed (and writes nothing).
   */
  async createRun(run: NewRun): Promise<boolean> {
    const createdAt = run.createdAt ?? new Date();
    const status = run.status ?? "running";
    const created = await this.client.execute(
      this.cql.insertRun,
      [run.runId, run.blueprintId, run.blueprintVersion, status, createdAt, createdAt, run.correlationId, run.transport ?? null],
      { prepare: true },
    );
    if (!created.wasApplied()) return false;
    await this.client.batch(
      [
        { query: this.cql.insertStatusIndex, params: [status, statusBucket(run.runId), createdAt, run.runId, run.blueprintId] },
        { query: this.cql.upsertContext, params: [run.runId, INPUT_CONTEXT_KEY, encodeJson(run.input), null, createdAt] },
      ],
      { prepare: true, logged: true },
    );
    return true;
  }

  /**
   * Commits a run change as one conditional batch on the run's workflow_node_results
   * partition: a compare-and-set of the static `last_seq` (and the fencing token), the
   * result rows and the scheduled marks of NODE_SCHEDULED events, all applied or none.
   * Then, if asked, the status (a separate logged batch: the runs table is another
   * partition; only the lease holder that just committed writes it). The events themselves
   * are not written here: the caller publishes them and Kafka Connect writes the event store.
   */
  async commit(commit: RunCommit): Promise<RunEvent[] | undefined> {
    const events = commit.events.map((draft, index): RunEvent => ({ ...draft, sequence: commit.expectedLastSequence + index + 1 }));
    if (events.length > 0 || (commit.results?.length ?? 0) > 0) {
      if (!(await this.commitBatch(commit, events))) return undefined;
    }
    if (commit.status) await this.setStatus(commit.runId, commit.status.status, commit.status.reason);
    return events;
  }

  /** Reads the run row, its node results (in recording order), context and scheduled attempts. */
  async readRun(runId: string): Promise<RunState | undefined> {
    const [runRows, resultRows, contextRows] = await Promise.all([
      this.client.execute(this.cql.selectRun, [runId], { prepare: true }),
      this.client.execute(this.cql.selectNodeResults, [runId], { prepare: true }),
      this.client.execute(this.cql.selectContext, [runId], { prepare: true }),
    ]);
    const run = runRows.first();
    if (!run) return undefined;

    const unconfirmed = resultRows.rows
      .filter((r) => r.get("node_id") === COMMIT_ROW_NODE_ID && r.get("step_events") !== null && r.get("step_published") !== true)
      .map((r) => ({ firstSequence: r.get("attempt") as number, events: parseStepEvents(r.get("step_events") as string) }));
    const nodeResults = resultRows.rows
      .filter((r) => r.get("node_id") !== null && isResultStatus(r.get("status")))
      .sort((a, b) => compareTimeUuids(a.get("recorded_id"), b.get("recorded_id")))
      .map((r): NodeResultRow => {
        const result: NodeResultRow = {
          runId,
          nodeId: r.get("node_id") as string,
          attempt: r.get("attempt") as number,
          status: r.get("status") as NodeResultRow["status"],
          fencingToken: (r.get("fencing_token") as cassandra.types.Long).toNumber(),
          recordedAt: r.get("finished_at") as Date,
        };
        const output = r.get("output") as string | null;
        const error = r.get("error") as string | null;
        const action = r.get("action") as string | null;
        if (output !== null) result.output = JSON.parse(output);
        if (error !== null) result.error = JSON.parse(error) as NodeResultRow["error"];
        if (action !== null) result.action = action;
        return result;
      });

    let input: unknown;
    const context: Record<string, unknown> = {};
    for (const r of contextRows.rows) {
      const key = r.get("key") as string;
      const value = JSON.parse(r.get("value") as string) as unknown;
      if (key === INPUT_CONTEXT_KEY) input = value;
      else context[key] = value;
    }

    return {
      runId,
      blueprintId: run.get("workflow_id") as string,
      blueprintVersion: run.get("version") as string,
      status: run.get("status") as RunStatus,
      input,
      context,
      correlationId: run.get("correlation_id") as string,
      nodeResults,
      scheduled: resultRows.rows
        .filter((r) => r.get("scheduled_at") !== null && r.get("node_id") !== null)
        .map((r) => ({ nodeId: r.get("node_id") as string, attempt: r.get("attempt") as number })),
      updatedAt: run.get("updated_at") as Date,
      // NOTE: a partition with only static cells returns one row whose clustering columns are null.
      lastSequence: longOrUndefined(resultRows.first()?.get("last_seq")) ?? 0,
      unconfirmed,
    };
  }

  /**
   * Sets the run's status and `updatedAt`, moving its status index row, in one logged batch.
   *
   * NOTE: this reads the run's current index key (status, updated_at) first. That is not a
   * lost-update risk because only the run's lease holder changes its status, so nobody
   * else moves the row between the read and the batch.
   */
  async setStatus(runId: string, status: RunStatus, reason?: string): Promise<void> {
    const current = (await this.client.execute(this.cql.selectRunIndexKey, [runId], { prepare: true })).first();
    if (!current) throw new Error(`setStatus: unknown run ${runId}`);
    const previousStatus = current.get("status") as string;
    const previousUpdatedAt = current.get("updated_at") as Date;
    // TRICKY: the delete and insert share the batch's write timestamp, and a tombstone wins
    // a tie, so the new index key must differ from the old: updated_at strictly increases.
    const updatedAt = new Date(Math.max(Date.now(), previousUpdatedAt.getTime() + 1));
    const bucket = statusBucket(runId);
    await this.client.batch(
      [
        { query: this.cql.deleteStatusIndex, params: [previousStatus, bucket, previousUpdatedAt, runId] },
        { query: this.cql.insertStatusIndex, params: [status, bucket, updatedAt, runId, current.get("workflow_id")] },
        { query: this.cql.updateRunStatus, params: [status, updatedAt, reason ?? null, runId] },
      ],
      { prepare: true, logged: true },
    );
  }

  /** Runs `running` whose status was last set more than `olderThanSeconds` ago, oldest first. */
  async findStalledRuns(olderThanSeconds: number, limit: number): Promise<{ runId: string; updatedAt: Date }[]> {
    const cutoff = new Date(Date.now() - olderThanSeconds * 1000);
    const perBucket = await Promise.all(
      Array.from({ length: STATUS_BUCKETS }, (_, bucket) =>
        this.client.execute(this.cql.selectStalled, ["running", bucket, cutoff, limit], { prepare: true }),
      ),
    );
    return perBucket
      .flatMap((result) => result.rows.map((r) => ({ runId: r.get("run_id") as string, updatedAt: r.get("updated_at") as Date })))
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime())
      .slice(0, limit);
  }

  /**
   * Confirms the events of the commit starting at `firstSequence` were published (a plain
   * write of one cell the commit's batch never writes, so it does not race the LWTs).
   */
  async markPublished(runId: string, firstSequence: number): Promise<void> {
    await this.client.execute(this.cql.markPublished, [runId, COMMIT_ROW_NODE_ID, firstSequence], { prepare: true });
  }

  /** Writes a context key of the run (one row per key; never a shared blob). */
  async setContext(runId: string, key: string, value: unknown, nodeId?: string): Promise<void> {
    if (key === INPUT_CONTEXT_KEY) throw new Error(`context key "${INPUT_CONTEXT_KEY}" holds the run input`);
    await this.client.execute(this.cql.upsertContext, [runId, key, encodeJson(value), nodeId ?? null, new Date()], { prepare: true });
  }

  /**
   * Records a node's side effect: one row per (run, node, effect id). `effectId` must
   * derive from the run, node and effect, not the delivery, so a re-run (redelivery,
   * lost lease) rewrites the same row and the effect is counted once.
   * TRADE-OFF: a plain idempotent write, not INSERT IF NOT EXISTS: a lightweight
   * transaction per node step cost more than the rest of the step's Cassandra work.
   */
  async recordEffect(runId: string, nodeId: string, effectId: string, effect: NodeEffect): Promise<void> {
    await this.client.execute(
      this.cql.insertEffect,
      [runId, nodeId, effectId, effect.kind, effect.attempt, effect.fencingToken, effect.detail === undefined ? null : encodeJson(effect.detail), effect.createdAt ?? new Date()],
      { prepare: true },
    );
  }

  /** Number of effects recorded for the run. */
  async countEffects(runId: string): Promise<number> {
    const row = (await this.client.execute(this.cql.countEffects, [runId], { prepare: true })).first();
    return (row?.get("count") as cassandra.types.Long | undefined)?.toNumber() ?? 0;
  }

  /**
   * The conditional batch of {@link commit}; `false` if refused.
   * CRITICAL: one partition, so the compare-and-set and the rows succeed or fail together.
   */
  private async commitBatch(commit: RunCommit, events: readonly RunEvent[]): Promise<boolean> {
    const { runId } = commit;
    const claim = randomUUID();
    const newLast = commit.expectedLastSequence + events.length;
    const guard =
      commit.expectedLastSequence === 0
        ? { query: this.cql.claimFirstSequences, params: [newLast, claim, commit.fencingToken, runId] }
        : { query: this.cql.advanceSequences, params: [newLast, claim, commit.fencingToken, runId, commit.expectedLastSequence, commit.fencingToken] };
    const rows = (commit.results ?? []).map((row, index) => ({
      query: this.cql.setNodeResult,
      params: [
        row.status,
        row.fencingToken,
        row.output === undefined ? null : encodeJson(row.output),
        row.error === undefined ? null : encodeJson(row.error),
        row.action ?? null,
        row.recordedAt,
        // NOTE: ticks keep a commit's rows in their order within one millisecond.
        TimeUuid.fromDate(row.recordedAt, index),
        runId,
        row.nodeId,
        row.attempt,
      ],
    }));
    const scheduled = events
      .filter((event) => event.type === "NODE_SCHEDULED" && event.nodeId !== undefined)
      .map((event) => ({ query: this.cql.markScheduled, params: [event.occurredAt, runId, event.nodeId, event.attempt ?? 1] }));
    // The events themselves, until the caller confirms they were published (markPublished).
    const kept = events.length > 0 ? [{ query: this.cql.keepCommitEvents, params: [JSON.stringify(events), runId, COMMIT_ROW_NODE_ID, events[0]!.sequence] }] : [];
    try {
      return (await this.client.batch([guard, ...rows, ...scheduled, ...kept], { prepare: true })).wasApplied();
    } catch (error) {
      if (!isWriteTimeout(error)) throw error;
      // CRITICAL: a timed-out LWT may still have been applied. Our claim id in the partition
      // (read at SERIAL, so it sees any accepted proposal) says whether the batch is ours.
      const row = (await this.client.execute(this.cql.selectSequenceClaim, [runId], { prepare: true, consistency: cassandra.types.consistencies.localSerial })).first();
      return row?.get("last_claim") === claim && longOrUndefined(row.get("last_seq")) === newLast;
    }
  }
}

function statements(keyspace: string) {
  const ks = keyspace;
  return {
    insertRun: `INSERT INTO ${ks}.workflow_runs (run_id, workflow_id, version, status, created_at, updated_at, correlation_id, transport) VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
    selectRun: `SELECT workflow_id, version, status, updated_at, correlation_id FROM ${ks}.workflow_runs WHERE run_id = ?`,
    selectRunIndexKey: `SELECT status, updated_at, workflow_id FROM ${ks}.workflow_runs WHERE run_id = ?`,
    updateRunStatus: `UPDATE ${ks}.workflow_runs SET status = ?, updated_at = ?, status_reason = ? WHERE run_id = ?`,
    insertStatusIndex: `INSERT INTO ${ks}.workflow_runs_by_status (status, bucket, updated_at, run_id, workflow_id) VALUES (?, ?, ?, ?, ?)`,
    deleteStatusIndex: `DELETE FROM ${ks}.workflow_runs_by_status WHERE status = ? AND bucket = ? AND updated_at = ? AND run_id = ?`,
    selectStalled: `SELECT run_id, updated_at FROM ${ks}.workflow_runs_by_status WHERE status = ? AND bucket = ? AND updated_at < ? LIMIT ?`,
    upsertContext: `INSERT INTO ${ks}.workflow_run_context (run_id, key, value, node_id, updated_at) VALUES (?, ?, ?, ?, ?)`,
    selectContext: `SELECT key, value FROM ${ks}.workflow_run_context WHERE run_id = ?`,
    claimFirstSequences: `UPDATE ${ks}.workflow_node_results SET last_seq = ?, last_claim = ?, run_fencing_token = ? WHERE run_id = ? IF last_seq = null`,
    advanceSequences: `UPDATE ${ks}.workflow_node_results SET last_seq = ?, last_claim = ?, run_fencing_token = ? WHERE run_id = ? IF last_seq = ? AND run_fencing_token <= ?`,
    selectSequenceClaim: `SELECT last_seq, last_claim FROM ${ks}.workflow_node_results WHERE run_id = ? LIMIT 1`,
    setNodeResult: `UPDATE ${ks}.workflow_node_results SET status = ?, fencing_token = ?, output = ?, error = ?, action = ?, finished_at = ?, recorded_id = ? WHERE run_id = ? AND node_id = ? AND attempt = ?`,
    // NOTE: kept a week: long past any redelivery, and the event store has them by then.
    keepCommitEvents: `UPDATE ${ks}.workflow_node_results USING TTL 604800 SET step_events = ? WHERE run_id = ? AND node_id = ? AND attempt = ?`,
    markPublished: `UPDATE ${ks}.workflow_node_results USING TTL 604800 SET step_published = true WHERE run_id = ? AND node_id = ? AND attempt = ?`,
    markScheduled: `UPDATE ${ks}.workflow_node_results SET scheduled_at = ? WHERE run_id = ? AND node_id = ? AND attempt = ?`,
    selectNodeResults: `SELECT node_id, attempt, status, fencing_token, output, error, action, finished_at, recorded_id, scheduled_at, last_seq, step_events, step_published FROM ${ks}.workflow_node_results WHERE run_id = ?`,
    insertEffect: `INSERT INTO ${ks}.workflow_node_effects (run_id, node_id, effect_id, kind, attempt, fencing_token, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    countEffects: `SELECT COUNT(*) AS count FROM ${ks}.workflow_node_effects WHERE run_id = ?`,
  } as const;
}

function encodeJson(value: unknown): string {
  // NOTE: JSON.stringify(undefined) is undefined; store it as null so it reads back.
  return JSON.stringify(value ?? null);
}

/** A step's events as `commitBatch` stored them (JSON: dates as ISO strings). */
function parseStepEvents(json: string): RunEvent[] {
  return (JSON.parse(json) as (Omit<RunEvent, "occurredAt"> & { occurredAt: string })[]).map((event) => ({ ...event, occurredAt: new Date(event.occurredAt) }));
}

function isResultStatus(status: unknown): status is NodeResultRow["status"] {
  return status === "completed" || status === "failed" || status === "skipped";
}

/** Orders time-based UUIDs by their timestamp (with sub-millisecond ticks), then by text. */
function compareTimeUuids(a: unknown, b: unknown): number {
  if (!(a instanceof TimeUuid) || !(b instanceof TimeUuid)) return a instanceof TimeUuid ? 1 : b instanceof TimeUuid ? -1 : 0;
  const pa = a.getDatePrecision();
  const pb = b.getDatePrecision();
  return pa.date.getTime() - pb.date.getTime() || pa.ticks - pb.ticks || a.toString().localeCompare(b.toString());
}

function longOrUndefined(value: unknown): number | undefined {
  return value instanceof cassandra.types.Long ? value.toNumber() : undefined;
}

function isWriteTimeout(error: unknown): boolean {
  return error instanceof cassandra.errors.ResponseError && error.code === cassandra.types.responseErrorCodes.writeTimeout;
}
