import { randomUUID } from "node:crypto";
import { NodeRegistry, WorkflowEngine, type ReconcilableEngine, type ReconcileOutcome } from "@taskflow/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InMemoryCoordinationStore, InMemoryJobQueue } from "../../../workflow/src/engine-test-fakes.ts";
import { eventually } from "../../../../tests/support/services.ts";
import { createTestSchema, type TestSchema } from "./integration-test-support.ts";
import { OutboxEventSink } from "./outbox-relay.ts";
import { PostgresRunStateStore } from "./postgres-run-state-store.ts";
import { createRabbitMqReconciler } from "./rabbitmq-reconciler.ts";

/**
 * The reconciler of the RabbitMQ/PostgreSQL transport on real PostgreSQL: stalled runs found
 * through the status table, a per-run advisory lock, and (with the real engine on the
 * PostgreSQL store) each stalled run resumed exactly once by two reconcilers side by side.
 */
let db: TestSchema;
let store: PostgresRunStateStore;
let statusTableName: string;

beforeAll(async () => {
  db = await createTestSchema("reconciler");
  store = new PostgresRunStateStore(db.pool);
  statusTableName = `${db.schema}.flowcraft_statuses`;
});

afterAll(async () => {
  await db?.drop();
});

const blueprint = {
  id: "it-two-steps",
  metadata: { version: "1" },
  nodes: [
    { id: "a", uses: "step" },
    { id: "b", uses: "step" },
  ],
  edges: [{ source: "a", target: "b" }],
};

const newRunId = () => `run-${randomUUID()}`;
const longAgo = () => new Date(Date.now() - 3_600_000);

/** Leaves nothing `running` behind for the next test's reconcilers. */
async function settleAll(): Promise<void> {
  await db.pool.query("UPDATE flowcraft_statuses SET status = 'completed' WHERE status = 'running'");
}

describe("createRabbitMqReconciler", () => {
  it("holds a PostgreSQL advisory lock per run: of two reconcilers side by side, one resumes the run", async () => {
    const runId = newRunId();
    await store.createRun({ runId, blueprintId: "x", blueprintVersion: "1", input: {}, correlationId: "c", createdAt: longAgo() });
    const calls: string[] = [];
    const lockFreeDuringCall: boolean[] = [];
    const slowEngine: ReconcilableEngine = {
      async reconcileRun(id): Promise<ReconcileOutcome> {
        calls.push(id);
        // Another session cannot take the run's lock while it is being reconciled.
        const { rows } = await db.pool.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked", [`taskflow:reconcile:${id}`]);
        lockFreeDuringCall.push(rows[0]!.locked);
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { kind: "reconciled", ready: ["a#1"] };
      },
      async failRun() {
        return true;
      },
    };
    const reconcilers = [db.newPool(2), db.newPool(2)].map((pool) =>
      createRabbitMqReconciler({ adapter: slowEngine, pgClient: pool, statusTableName, stalledThresholdSeconds: 60 }),
    );
    const stats = await Promise.all(reconcilers.map((r) => r.run()));
    expect(calls).toEqual([runId]);
    expect(lockFreeDuringCall).toEqual([false]);
    expect(stats.map((s) => s.stalledRuns)).toEqual([1, 1]);
    expect(stats.reduce((sum, s) => sum + s.reconciledRuns, 0)).toBe(1);
    expect(stats.reduce((sum, s) => sum + s.failedRuns, 0)).toBe(0);
    // The lock was released: a later pass may take it again.
    expect(await reconcilers[0]!.run()).toMatchObject({ stalledRuns: 1, reconciledRuns: 1 });
    expect(calls).toEqual([runId, runId]);
    await settleAll();
  });

  it("with the real engine, resumes each stalled run exactly once while a second reconciler runs beside it", async () => {
    const coordination = new InMemoryCoordinationStore();
    const queue = new InMemoryJobQueue();
    const executed: string[] = [];
    const registry = new NodeRegistry({
      step: async (ctx) => {
        executed.push(`${ctx.runId}/${ctx.nodeId}#${ctx.attempt}`);
        return { output: { node: ctx.nodeId } };
      },
    });
    // Two workers: their own pools and stores, one coordination store and job queue.
    const engines = [db.newPool(4), db.newPool(4)].map(
      (pool) =>
        new WorkflowEngine({ registry, store: new PostgresRunStateStore(pool), coordination, jobs: queue, events: new OutboxEventSink({ wake() {} }), blueprints: [blueprint] }),
    );
    await queue.consume((job) => engines[0]!.handleJob(job));

    const runIds = [newRunId(), newRunId(), newRunId()];
    for (const runId of runIds) await engines[0]!.startRun({ blueprint, input: { employee: runId }, correlationId: `corr-${runId}`, runId });
    // The worker died with the start jobs.
    expect(queue.pending.splice(0).map((job) => job.nodeId)).toEqual(["a", "a", "a"]);

    const reconcilers = engines.map((engine, i) =>
      createRabbitMqReconciler({ adapter: engine, pgClient: db.newPool(2), statusTableName: i === 0 ? statusTableName : "flowcraft_statuses", stalledThresholdSeconds: 1 }),
    );
    await eventually(
      "the runs to look stalled",
      async () => ((await store.findStalledRuns(1, 100)).filter((r) => runIds.includes(r.runId)).length === runIds.length ? true : undefined),
      10_000,
    );

    const stats = await Promise.all(reconcilers.map((r) => r.run()));
    expect(stats.reduce((sum, s) => sum + s.reconciledRuns, 0)).toBe(runIds.length);
    expect(stats.reduce((sum, s) => sum + s.failedRuns, 0)).toBe(0);
    // Exactly one re-enqueued job per run, and a third pass finds nothing stalled.
    expect(queue.pending.map((job) => job.runId).sort()).toEqual([...runIds].sort());
    expect(await reconcilers[0]!.run()).toEqual({ stalledRuns: 0, reconciledRuns: 0, failedRuns: 0 });

    await queue.deliverAll();
    expect([...executed].sort()).toEqual(runIds.flatMap((runId) => [`${runId}/a#1`, `${runId}/b#1`]).sort());
    for (const runId of runIds) {
      expect((await store.readRun(runId))!.status).toBe("completed");
      const { rows } = await db.pool.query<{ seq: string; type: string }>("SELECT seq, event->>'type' AS type FROM workflow_event_outbox WHERE run_id = $1 ORDER BY id", [runId]);
      expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
      expect(rows.map((r) => r.type)).toEqual([
        "RUN_CREATED",
        "NODE_SCHEDULED",
        "NODE_SCHEDULED",
        "NODE_STARTED",
        "NODE_COMPLETED",
        "NODE_SCHEDULED",
        "NODE_STARTED",
        "NODE_COMPLETED",
        "RUN_COMPLETED",
      ]);
    }
  });

  it("marks a stalled run of an unknown blueprint failed", async () => {
    const runId = newRunId();
    await store.createRun({ runId, blueprintId: "no-such-blueprint", blueprintVersion: "1", input: {}, correlationId: `corr-${runId}`, createdAt: longAgo() });
    const engine = new WorkflowEngine({
      registry: new NodeRegistry(),
      store,
      coordination: new InMemoryCoordinationStore(),
      jobs: new InMemoryJobQueue(),
      events: new OutboxEventSink({ wake() {} }),
    });
    const stats = await createRabbitMqReconciler({ adapter: engine, pgClient: db.pool, statusTableName, stalledThresholdSeconds: 60 }).run();
    expect(stats).toEqual({ stalledRuns: 1, reconciledRuns: 0, failedRuns: 1 });
    expect((await store.readRun(runId))!.status).toBe("failed");
    const { rows } = await db.pool.query<{ type: string }>("SELECT event->>'type' AS type FROM workflow_event_outbox WHERE run_id = $1", [runId]);
    expect(rows.map((r) => r.type)).toEqual(["RUN_FAILED"]);
  });
});
