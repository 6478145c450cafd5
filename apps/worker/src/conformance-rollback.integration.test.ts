import { randomUUID } from "node:crypto";
import type { NodeJob, RunCommit } from "@taskflow/workflow";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ONBOARDING_NODES, WorkflowEventCollector, expectCompletedOnce, transportClients, waitUntilCompleted, type TransportClients } from "./testing/conformance-support.ts";
import { waitFor } from "./testing/proof-support.ts";
import { transportHarness } from "./testing/transport-harness.ts";
import { startWorker, type Worker } from "./worker.ts";

/**
 * Issue #6 proof (RabbitMQ/PostgreSQL transport only): with PostgreSQL's transaction
 * rolled back mid-node, neither state nor event is half-written. A test-only trigger in
 * this file's schema makes a real PostgreSQL error abort one node step's commit (the
 * single statement that moves `last_seq`, inserts the result rows, the scheduled marks and
 * the outbox events): once at an outbox insert, once at a result row insert. Then nothing
 * of that step is in flowcraft_node_results, flowcraft_statuses or workflow_event_outbox,
 * the job is redelivered, and the run completes with each effect once and its events
 * gap-free.
 */
const harness = transportHarness("rabbitmq", "rollback");
let clients: TransportClients;
let pool: pg.Pool;
let events: WorkflowEventCollector;
let worker: Worker;

/** What a run has in PostgreSQL (but the relay's published_at, which moves on its own). */
async function runRows(runId: string) {
  const [status, results, scheduled, outbox] = await Promise.all([
    pool.query("SELECT status, last_seq::int AS last_seq, updated_at FROM flowcraft_statuses WHERE run_id = $1", [runId]),
    pool.query("SELECT node_id, attempt, status FROM flowcraft_node_results WHERE run_id = $1 ORDER BY recorded_order", [runId]),
    pool.query("SELECT node_id, attempt FROM flowcraft_node_scheduled WHERE run_id = $1 ORDER BY node_id, attempt", [runId]),
    pool.query("SELECT seq::int AS seq, event->>'type' AS type, event->>'nodeId' AS node_id FROM workflow_event_outbox WHERE run_id = $1 ORDER BY seq", [runId]),
  ]);
  return { status: status.rows[0] as { status: string; last_seq: number; updated_at: Date }, results: results.rows, scheduled: scheduled.rows, outbox: outbox.rows };
}

interface FailedCommit {
  commit: RunCommit;
  error: unknown;
  before: Awaited<ReturnType<typeof runRows>>;
  after: Awaited<ReturnType<typeof runRows>>;
}

/**
 * Records every commit of `runId` that rejects, with the run's rows just before the commit
 * and just after its rejection, and how often the worker handled each of the run's jobs
 * (`node#attempt`). NOTE: both snapshots are read while the step still holds the run's
 * lease (the commit is the step's last act under it), so no other writer of the run
 * committed in between: they must be equal. Returns the undo.
 */
function watchRun(runId: string): { failed: FailedCommit[]; deliveries: Map<string, number>; restore: () => void } {
  const failed: FailedCommit[] = [];
  const deliveries = new Map<string, number>();
  const { store, engine } = worker;
  const commit = store.commit;
  const handleJob = engine.handleJob;
  // The worker's engine commits through this very store object and its queue calls this very engine.
  store.commit = async (change) => {
    if (change.runId !== runId) return commit.call(store, change);
    const before = await runRows(runId);
    try {
      return await commit.call(store, change);
    } catch (error) {
      failed.push({ commit: change, error, before, after: await runRows(runId) });
      throw error;
    }
  };
  engine.handleJob = async (job: NodeJob) => {
    if (job.runId === runId) deliveries.set(`${job.nodeId}#${job.attempt}`, (deliveries.get(`${job.nodeId}#${job.attempt}`) ?? 0) + 1);
    return handleJob.call(engine, job);
  };
  return {
    failed,
    deliveries,
    restore: () => {
      store.commit = commit;
      engine.handleJob = handleJob;
    },
  };
}

/**
 * A trigger on `table` that raises once, the first time a row matching `condition` (SQL
 * over NEW) is inserted; a sequence counts the matches, because it is not rolled back with
 * the failed transaction.
 */
async function failFirstInsert(name: string, table: string, condition: string): Promise<void> {
  await pool.query(`CREATE SEQUENCE ${name}_matches`);
  await pool.query(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${condition} THEN
        IF nextval('${name}_matches') = 1 THEN
          RAISE EXCEPTION 'it: injected failure inserting into ${table} (run %, node %)', NEW.run_id, ${table === "workflow_event_outbox" ? "NEW.event->>'nodeId'" : "NEW.node_id"};
        END IF;
      END IF;
      RETURN NEW;
    END $$`);
  await pool.query(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
}

beforeAll(async () => {
  await harness.setUp();
  clients = await transportClients(harness);
  pool = clients.pool!;
  events = await WorkflowEventCollector.start(harness.names.eventsTopic);
  worker = await startWorker(harness.workerConfig(`it-rollback-${harness.names.suffix}`));
});

afterAll(async () => {
  await worker?.stop();
  await events?.stop();
  await clients?.close();
  await harness.tearDown();
});

/**
 * Runs an onboarding run whose one step's commit the trigger fails, and proves: that commit
 * (of one of `nodes`) rejected with `message` and left every row of the run as it was; the
 * same job was handled again and committed; the run completed with each effect once, each
 * node's result once, its events 1..20 in the outbox, all published, gap-free on the topic.
 * Returns the failed commit.
 */
async function proveRolledBackStep(runId: string, nodes: readonly string[], message: RegExp): Promise<FailedCommit> {
  const watch = watchRun(runId);
  try {
    await worker.startRun({ blueprintId: "employee-onboarding", input: { employeeId: runId }, correlationId: `corr-${runId}`, runId });
    await waitUntilCompleted(clients.store, [runId], 30_000);
  } finally {
    watch.restore();
  }

  // One commit failed, with the trigger's error.
  expect(watch.failed).toHaveLength(1);
  const failed = watch.failed[0]!;
  const { commit, error, before, after } = failed;
  expect(String(error)).toMatch(message);
  const node = commit.results?.[0]?.nodeId ?? "";
  expect(commit.results?.map((r) => r.nodeId)).toEqual([node]);
  expect(nodes).toContain(node);
  // Nothing of it was written: no result row, no scheduled mark, no outbox event; last_seq and updated_at unmoved.
  expect(after).toEqual(before);
  expect(after.results.map((r: { node_id: string }) => r.node_id)).not.toContain(node);
  expect(after.outbox.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: after.status.last_seq }, (_, i) => i + 1));
  console.log(`rolled back the ${node} step (${commit.events.map((e) => `${e.type}${e.nodeId ? `:${e.nodeId}` : ""}`).join(", ")}) at last_seq ${before.status.last_seq}: ${String(error)}`);

  // The same job (attempt 1) was handled again and recorded; no node attempt failed or was retried.
  expect(watch.deliveries.get(`${node}#1`)).toBe(2);
  const { duplicates, rescheduled } = await expectCompletedOnce(clients.store, events, runId, "rabbitmq");
  expect(rescheduled).toBe(0);
  const rows = await runRows(runId);
  expect(rows.results.map((r: { node_id: string; attempt: number; status: string }) => `${r.node_id}#${r.attempt}:${r.status}`).sort()).toEqual(
    ONBOARDING_NODES.map((n) => `${n}#1:completed`),
  );
  expect(rows.outbox.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(rows.outbox.filter((e: { type: string }) => e.type === "NODE_FAILED" || e.type === "NODE_RETRIED")).toEqual([]);
  await waitFor(
    "the run's outbox published",
    async () => {
      const { rows: counts } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM workflow_event_outbox WHERE run_id = $1 AND published_at IS NULL", [runId]);
      return counts[0]?.n === 0 ? true : undefined;
    },
    10_000,
  );
  console.log(`run completed: 5 effects, 20 events gap-free, all published (${duplicates} duplicate records on the topic)`);
  return failed;
}

describe("issue #6 proof: a PostgreSQL transaction rolled back mid-node writes neither state nor event (RabbitMQ, PostgreSQL)", () => {
  it("rolls back the step whose outbox insert fails (the fan-out step that schedules the join) and completes it on redelivery", async () => {
    const runId = `it-rollback-outbox-${randomUUID()}`;
    // Whichever fan-out node finishes last schedules the join in its step; that commit fails once.
    await failFirstInsert(
      "it_fail_join_schedule",
      "workflow_event_outbox",
      `NEW.run_id = ${pg.escapeLiteral(runId)} AND NEW.event->>'type' = 'NODE_SCHEDULED' AND NEW.event->>'nodeId' = 'onboarding-complete'`,
    );
    const { commit } = await proveRolledBackStep(runId, ["send-welcome-email", "schedule-orientation", "create-chat-account"], /injected failure inserting into workflow_event_outbox/);
    const node = commit.results![0]!.nodeId;
    expect(commit.events.map((e) => `${e.type}:${e.nodeId}`)).toEqual([`NODE_STARTED:${node}`, `NODE_COMPLETED:${node}`, "NODE_SCHEDULED:onboarding-complete"]);
    // The join arrivals recorded in Redis before the failed commit fired nothing early: the join ran once.
    const { outbox } = await runRows(runId);
    expect(outbox.filter((e: { type: string; node_id: string }) => e.type === "NODE_SCHEDULED" && e.node_id === "onboarding-complete")).toHaveLength(1);
  });

  it("rolls back the step whose result row insert fails and completes it on redelivery", async () => {
    const runId = `it-rollback-result-${randomUUID()}`;
    await failFirstInsert("it_fail_result", "flowcraft_node_results", `NEW.run_id = ${pg.escapeLiteral(runId)} AND NEW.node_id = 'provision-identity'`);
    await proveRolledBackStep(runId, ["provision-identity"], /injected failure inserting into flowcraft_node_results/);
  });
});
