import { randomUUID } from "node:crypto";
import type { NodeResultRow } from "@taskflow/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contractHelpers, runStoreContract } from "../testing/run-store-contract.ts";
import { createTestSchema, type TestSchema } from "./integration-test-support.ts";
import { parseOutboxEvent, PostgresRunStateStore } from "./postgres-run-state-store.ts";

/** The same contract tests as the Cassandra store's, plus the transactional outbox's all-or-nothing. */
describe("PostgresRunStateStore (real PostgreSQL)", () => {
  let db: TestSchema;
  let store: PostgresRunStateStore;

  beforeAll(async () => {
    db = await createTestSchema("store");
    store = new PostgresRunStateStore(db.pool);
  });

  afterAll(async () => {
    await db?.drop();
  });

  const newRunId = () => `test-run-${randomUUID()}`;
  const createRun = (runId: string, createdAt?: Date) =>
    store.createRun({ runId, blueprintId: "onboarding", blueprintVersion: "1", input: { employee: "ada" }, correlationId: `corr-${runId}`, createdAt });
  const { draft, result } = contractHelpers(() => store);
  const outboxRows = async (runId: string) =>
    (await db.pool.query<{ seq: string; event: unknown; published_at: Date | null }>("SELECT seq, event, published_at FROM workflow_event_outbox WHERE run_id = $1 ORDER BY id", [runId])).rows;

  it("creates a run once, with its status and context rows", async () => {
    const runId = newRunId();
    expect(await createRun(runId)).toBe(true);
    expect(await createRun(runId)).toBe(false);
    const { rows } = await db.pool.query("SELECT s.status, s.transport, s.status_data, c.context_data FROM flowcraft_statuses s JOIN flowcraft_contexts c USING (run_id) WHERE run_id = $1", [runId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "running", transport: "rabbitmq", status_data: { status: "running" }, context_data: { input: { employee: "ada" } } });
  });

  // The contract every transport's store meets (testing/run-store-contract.ts), plus: the
  // outbox holds exactly the committed events. Separate pools stand for separate workers.
  runStoreContract(async () => ({
    store,
    newWriter: () => new PostgresRunStateStore(db.newPool(2)),
    keptSequences: async (runId) => (await outboxRows(runId)).map((r) => Number(r.seq)),
    close: async () => undefined,
  }));

  it("keeps null outputs, result times and the seed's status_data current", async () => {
    const runId = newRunId();
    await createRun(runId);
    const at = new Date();
    await store.commit({
      runId,
      fencingToken: 1,
      expectedLastSequence: 0,
      events: [draft(runId, "NODE_COMPLETED", "nil"), draft(runId, "NODE_FAILED", "alpha")],
      results: [result(runId, "nil", 1, { output: null, recordedAt: at }), result(runId, "alpha", 1, { status: "failed", output: undefined, error: { message: "boom" }, recordedAt: at })],
      status: { status: "paused", reason: "user asked" },
    });
    const state = await store.readRun(runId);
    expect(state!.nodeResults.map(({ nodeId, output }) => ({ nodeId, output }))).toEqual([
      { nodeId: "nil", output: null },
      { nodeId: "alpha", output: undefined },
    ]);
    expect("output" in state!.nodeResults[1]!).toBe(false);
    expect(state!.nodeResults[0]!.recordedAt.getTime()).toBe(at.getTime());
    const { rows } = await db.pool.query("SELECT status_reason, status_data FROM flowcraft_statuses WHERE run_id = $1", [runId]);
    expect(rows[0]).toMatchObject({ status_reason: "user asked", status_data: { status: "paused", reason: "user asked" } });
  });

  it("writes each committed event to the outbox with what the published WorkflowEvent needs", async () => {
    const runId = newRunId();
    await createRun(runId);
    const occurredAt = new Date("2025-01-02T03:04:05.678Z");
    const events = await store.commit({
      runId,
      fencingToken: 1,
      expectedLastSequence: 0,
      events: [
        { runId, type: "RUN_CREATED", correlationId: `corr-${runId}`, occurredAt, payload: { input: { employee: "ada" } } },
        { runId, type: "NODE_SCHEDULED", nodeId: "welcome", attempt: 1, correlationId: `corr-${runId}`, occurredAt, payload: { reason: "start" } },
      ],
    });
    const rows = await outboxRows(runId);
    expect(rows.map((r) => r.published_at)).toEqual([null, null]);
    expect(rows.map((r) => parseOutboxEvent(runId, Number(r.seq), r.event))).toEqual(
      events!.map((event) => ({ event, context: { workflowId: "onboarding", workflowVersion: "1", actor: "system:worker", transport: "rabbitmq" } })),
    );
  });

  describe("a commit whose transaction fails mid-way writes nothing: neither state nor outbox rows", () => {
    const expectUntouched = async (runId: string) => {
      const state = await store.readRun(runId);
      expect(state).toMatchObject({ lastSequence: 1, status: "running", nodeResults: [{ nodeId: "a" }], scheduled: [] });
      expect((await outboxRows(runId)).map((r) => Number(r.seq))).toEqual([1]);
      const { rows } = await db.pool.query("SELECT fencing_token FROM flowcraft_statuses WHERE run_id = $1", [runId]);
      expect(Number(rows[0].fencing_token)).toBe(1);
    };
    const committedRun = async () => {
      const runId = newRunId();
      await createRun(runId);
      await store.commit({ runId, fencingToken: 1, expectedLastSequence: 0, events: [draft(runId, "NODE_COMPLETED", "a")], results: [result(runId, "a", 1)] });
      return runId;
    };
    const nextCommit = (runId: string, results: NodeResultRow[]) =>
      store.commit({
        runId,
        fencingToken: 2,
        expectedLastSequence: 1,
        events: [draft(runId, "NODE_COMPLETED", "b"), draft(runId, "NODE_SCHEDULED", "c")],
        results,
        status: { status: "completed" },
      });

    it("a result row recorded twice (primary key) rolls back the compare-and-set and everything else", async () => {
      const runId = await committedRun();
      await expect(nextCommit(runId, [result(runId, "b", 2), result(runId, "a", 2)])).rejects.toThrow(/duplicate key/);
      await expectUntouched(runId);
    });

    it("a result row violating a check constraint rolls back the whole commit", async () => {
      const runId = await committedRun();
      await expect(nextCommit(runId, [result(runId, "b", 2, { attempt: -1 })])).rejects.toThrow(/check constraint/);
      await expectUntouched(runId);
    });

    it("an outbox insert failing after the compare-and-set rolls back the whole commit", async () => {
      const runId = await committedRun();
      // A stray row where the commit's second event goes: its insert fails, after the CAS and the results.
      await db.pool.query("INSERT INTO workflow_event_outbox (run_id, seq, event) VALUES ($1, 3, '{}')", [runId]);
      await expect(nextCommit(runId, [result(runId, "b", 2)])).rejects.toThrow(/workflow_event_outbox_run_seq_key/);
      await db.pool.query("DELETE FROM workflow_event_outbox WHERE run_id = $1 AND seq = 3", [runId]);
      await expectUntouched(runId);
      // And the same commit goes through once the obstacle is gone.
      expect(await nextCommit(runId, [result(runId, "b", 2)])).toHaveLength(2);
      expect(await store.readRun(runId)).toMatchObject({ lastSequence: 3, status: "completed", scheduled: [{ nodeId: "c", attempt: 1 }] });
    });
  });

  it("setStatus refreshes updated_at; findStalledRuns finds old running runs only", async () => {
    const longAgo = new Date(Date.now() - 3_600_000);
    const [stalled, fresh, completed] = [newRunId(), newRunId(), newRunId()];
    await createRun(stalled, longAgo);
    await createRun(fresh);
    await createRun(completed, longAgo);
    await store.setStatus(completed, "completed");

    const found = (await store.findStalledRuns(60, 10_000)).map((r) => r.runId);
    expect(found).toContain(stalled);
    expect(found).not.toContain(fresh);
    expect(found).not.toContain(completed);

    // A status change refreshes updated_at: the run is no longer stalled.
    await store.setStatus(stalled, "running");
    expect((await store.findStalledRuns(60, 10_000)).map((r) => r.runId)).not.toContain(stalled);

    await store.setStatus(fresh, "cancelled", "user asked");
    expect((await store.readRun(fresh))!.status).toBe("cancelled");
    await expect(store.setStatus(newRunId(), "failed")).rejects.toThrow(/unknown run/);

    // The reconciler's query is served by the (status, updated_at) index.
    const plan = await db.pool.connect();
    try {
      await plan.query("SET enable_seqscan = off");
      const { rows } = await plan.query("EXPLAIN SELECT run_id, updated_at FROM flowcraft_statuses WHERE status = 'running' AND updated_at < now() ORDER BY updated_at LIMIT 10");
      expect(rows.map((r: Record<string, string>) => Object.values(r)[0]).join("\n")).toContain("flowcraft_statuses_status_updated_at_idx");
    } finally {
      await plan.query("RESET enable_seqscan");
      plan.release();
    }
  });

  it("sets context keys in place: concurrent writers of different keys lose nothing", async () => {
    const runId = newRunId();
    await createRun(runId);
    await Promise.all(Array.from({ length: 20 }, (_, i) => new PostgresRunStateStore(db.newPool(1)).setContext(runId, `key${i}`, { i }, `node${i}`)));
    const state = await store.readRun(runId);
    expect(Object.keys(state!.context)).toHaveLength(20);
    expect(state!.context.key7).toEqual({ i: 7 });
    expect(state!.input).toEqual({ employee: "ada" });
    await expect(store.setContext(runId, "input", 1)).rejects.toThrow(/holds the run input/);
    await expect(store.setContext(newRunId(), "k", 1)).rejects.toThrow(/unknown run/);
  });

  it("records an effect once and counts effects", async () => {
    const runId = newRunId();
    await createRun(runId);
    const effect = { kind: "email", attempt: 1, fencingToken: 3, detail: { to: "ada" } };
    const writes = await Promise.all(Array.from({ length: 5 }, () => store.recordEffect(runId, "welcomeEmail", "welcome-email", effect)));
    expect(writes.filter(Boolean)).toHaveLength(1);
    expect(await store.recordEffect(runId, "chat", "chat-account", effect)).toBe(true);
    expect(await store.countEffects(runId)).toBe(2);
    expect(await store.countEffects(newRunId())).toBe(0);
  });
});
