import cassandra from "cassandra-driver";
import type { WorkflowEventRecord } from "@taskflow/workflow-adapters";
import { EVENT_STORE_COLUMNS, eventFromStoreRow, toNumber } from "./run-events.ts";
import { runDay, type NodeState, type RunStatusRow } from "./run-projection.ts";

/**
 * The projection's tables (kafka/cassandra/008-workflow-run-projection.cql) and the event
 * store it reads (006-workflow.cql). The statement texts live here, once; every statement
 * except TRUNCATE is prepared.
 */
const ROW_COLUMNS = "run_id, workflow_id, workflow_version, status, status_reason, created_at, updated_at, last_seq, event_count, transport, correlation_id, node_states";
const BY_DAY_COLUMNS = "day, created_at, run_id, workflow_id, workflow_version, status, status_reason, updated_at, last_seq, transport";
const CQL = {
  loadRow: `SELECT ${ROW_COLUMNS} FROM taskflow.workflow_run_status WHERE run_id = ?`,
  // TRICKY: USING TIMESTAMP <last_seq> (see the CQL file): the write that folded more wins.
  writeRow: `INSERT INTO taskflow.workflow_run_status (${ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`,
  writeByDay: `INSERT INTO taskflow.workflow_runs_by_day (${BY_DAY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`,
  readRunEvents: `SELECT ${EVENT_STORE_COLUMNS} FROM taskflow.workflow_events_by_run WHERE run_id = ?`,
  readRunEventsBetween: `SELECT ${EVENT_STORE_COLUMNS} FROM taskflow.workflow_events_by_run WHERE run_id = ? AND seq > ? AND seq <= ?`,
  runIdsOfDay: "SELECT run_id FROM taskflow.workflow_events_by_day WHERE day = ?",
  truncate: ["TRUNCATE taskflow.workflow_run_status", "TRUNCATE taskflow.workflow_runs_by_day"],
} as const;

/**
 * CRITICAL: a row is read back to continue the fold and must include every write that
 * preceded it (the previous owner of the partition, or this one before a restart).
 * LOCAL_QUORUM on both sides guarantees that with any replication factor.
 */
const STATE_CONSISTENCY = cassandra.types.consistencies.localQuorum;
/** Pages of the event store read at once. */
const FETCH_SIZE = 1_000;

/** Where the live projection keeps its rows and finds missing events (Cassandra, or a map in tests). */
export interface RunProjectionStore {
  /** The run's stored row, or null when it has none. */
  loadRow(runId: string): Promise<RunStatusRow | null>;
  /** Writes the run's status row and its row by day together (one logged batch); idempotent. */
  writeRow(row: RunStatusRow): Promise<void>;
  /** The run's events in the event store with `afterSeq` < seq ≤ `throughSeq`, in seq order. */
  readEvents(runId: string, afterSeq: number, throughSeq: number): Promise<WorkflowEventRecord[]>;
}

/** The projection's tables and the event store, on Cassandra. */
export class CassandraRunProjectionStore implements RunProjectionStore {
  readonly #client: cassandra.Client;

  constructor(client: cassandra.Client) {
    this.#client = client;
  }

  async loadRow(runId: string): Promise<RunStatusRow | null> {
    const result = await this.#client.execute(CQL.loadRow, [runId], { prepare: true, consistency: STATE_CONSISTENCY });
    const row = result.first();
    return row ? rowFromCassandra(row) : null;
  }

  /**
   * One LOGGED batch: both rows land or neither does, so a redelivery after a crash finds
   * either both written (and skips) or neither (and writes both).
   */
  async writeRow(row: RunStatusRow): Promise<void> {
    const timestamp = cassandra.types.Long.fromNumber(row.lastSeq);
    const lastSeq = cassandra.types.Long.fromNumber(row.lastSeq);
    await this.#client.batch(
      [
        {
          query: CQL.writeRow,
          params: [
            row.runId,
            row.workflowId,
            row.workflowVersion,
            row.status,
            row.statusReason,
            row.createdAt,
            row.updatedAt,
            lastSeq,
            row.eventCount,
            row.transport,
            row.correlationId,
            row.nodeStates,
            timestamp,
          ],
        },
        {
          query: CQL.writeByDay,
          params: [
            runDay(row),
            row.createdAt,
            row.runId,
            row.workflowId,
            row.workflowVersion,
            row.status,
            row.statusReason,
            row.updatedAt,
            lastSeq,
            row.transport,
            timestamp,
          ],
        },
      ],
      { prepare: true, logged: true, consistency: STATE_CONSISTENCY },
    );
  }

  async readEvents(runId: string, afterSeq: number, throughSeq: number): Promise<WorkflowEventRecord[]> {
    const params = [runId, cassandra.types.Long.fromNumber(afterSeq), cassandra.types.Long.fromNumber(throughSeq)];
    return this.#collect(CQL.readRunEventsBetween, params);
  }

  /** Every event of the run in the event store, in seq order. */
  readAllEvents(runId: string): Promise<WorkflowEventRecord[]> {
    return this.#collect(CQL.readRunEvents, [runId]);
  }

  /** The distinct run ids with an event on `day` (`YYYY-MM-DD`, UTC), read page by page. */
  async runIdsOfDay(day: string, into: Set<string>): Promise<number> {
    let events = 0;
    const result = await this.#client.execute(CQL.runIdsOfDay, [day], { prepare: true, fetchSize: 5_000 });
    // The async iterator fetches the following pages as it goes.
    for await (const row of result) {
      into.add(row.get("run_id") as string);
      events++;
    }
    return events;
  }

  /** Empties both projection tables (TRUNCATE needs every replica up). */
  async truncate(): Promise<void> {
    for (const statement of CQL.truncate) await this.#client.execute(statement, [], { prepare: false });
  }

  async #collect(query: string, params: unknown[]): Promise<WorkflowEventRecord[]> {
    const events: WorkflowEventRecord[] = [];
    const result = await this.#client.execute(query, params, { prepare: true, fetchSize: FETCH_SIZE, consistency: STATE_CONSISTENCY });
    for await (const row of result) events.push(eventFromStoreRow(row));
    return events;
  }
}

function rowFromCassandra(row: cassandra.types.Row): RunStatusRow {
  return {
    runId: row.get("run_id") as string,
    workflowId: row.get("workflow_id") as string,
    workflowVersion: row.get("workflow_version") as string,
    status: row.get("status") as RunStatusRow["status"],
    statusReason: (row.get("status_reason") as string | null) ?? null,
    createdAt: row.get("created_at") as Date,
    updatedAt: row.get("updated_at") as Date,
    lastSeq: toNumber(row.get("last_seq")),
    eventCount: (row.get("event_count") as number | null) ?? 0,
    transport: row.get("transport") as string,
    correlationId: row.get("correlation_id") as string,
    nodeStates: { ...((row.get("node_states") as Record<string, NodeState> | null) ?? {}) },
  };
}
