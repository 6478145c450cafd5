import { randomUUID } from "node:crypto";
import type cassandra from "cassandra-driver";
import type { NodeResultRow, RunEventDraft } from "@taskflow/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCassandra } from "../../../../tests/support/services.ts";
import { CassandraRunStateStore, statusBucket } from "./cassandra-run-state-store.ts";

describe("CassandraRunStateStore (real Cassandra)", () => {
  let client: cassandra.Client;
  let store: CassandraRunStateStore;

  beforeAll(async () => {
    client = await testCassandra();
    store = new CassandraRunStateStore(client);
  });

  afterAll(async () => {
    await client.shutdown();
  });

  const newRunId = () => `test-run-${randomUUID()}`;
  const createRun = (runId: string, createdAt?: Date) =>
    store.createRun({ runId, blueprintId: "onboarding", blueprintVersion: "1", input: { employee: "ada" }, correlationId: `corr-${runId}`, createdAt });
  const draft = (runId: string, type: RunEventDraft["type"] = "NODE_STARTED", nodeId?: string): RunEventDraft => ({
    runId,
    type,
    nodeId,
    attempt: nodeId ? 1 : undefined,
    correlationId: `corr-${runId}`,
    occurredAt: new Date(),
  });
  const result = (runId: string, nodeId: string, fencingToken: number, overrides: Partial<NodeResultRow> = {}): NodeResultRow => ({
    runId,
    nodeId,
    attempt: 1,
    status: "completed",
    output: { nodeId },
    fencingToken,
    recordedAt: new Date(),
    ...overrides,
  });

  it("creates a run once", async () => {
    const runId = newRunId();
    expect(await createRun(runId)).toBe(true);
    expect(await createRun(runId)).toBe(false);
  });

  it("numbers 20 concurrent appends (from separate stores) exactly 1..N", async () => {
    const runId = newRunId();
    await createRun(runId);
    // Separate store instances: no shared in-process guess, as with separate workers.
    const writers = Array.from({ length: 20 }, () => new CassandraRunStateStore(client));
    const batches = await Promise.all(
      writers.map((writer, i) => writer.appendEvents(i % 2 === 0 ? [draft(runId)] : [draft(runId), draft(runId), draft(runId)])),
    );
    const sequences = batches.flat().map((event) => event.sequence);
    expect(sequences).toHaveLength(40);
    expect([...sequences].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // A batch gets consecutive numbers in its own order.
    for (const batch of batches) {
      batch.forEach((event, i) => expect(event.sequence).toBe(batch[0]!.sequence + i));
    }
    const [next] = await store.appendEvents([draft(runId)]);
    expect(next!.sequence).toBe(41);
  });

  it("numbers each run of a mixed batch separately", async () => {
    const [a, b] = [newRunId(), newRunId()];
    const events = await store.appendEvents([draft(a), draft(b), draft(a)]);
    expect(events.map((e) => [e.runId, e.sequence])).toEqual([
      [a, 1],
      [b, 1],
      [a, 2],
    ]);
  });

  it("records a node result once and refuses a duplicate", async () => {
    const runId = newRunId();
    await createRun(runId);
    expect(await store.recordNodeResult(result(runId, "provision", 5))).toBe(true);
    expect(await store.recordNodeResult(result(runId, "provision", 5, { output: { other: true } }))).toBe(false);
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => store.recordNodeResult(result(runId, "email", 5))));
    expect(concurrent.filter(Boolean)).toHaveLength(1);
    const state = await store.readRun(runId);
    expect(state!.nodeResults.map((r) => r.nodeId)).toEqual(["provision", "email"]);
    expect(state!.nodeResults[0]!.output).toEqual({ nodeId: "provision" });
  });

  it("refuses a stale fencing token once a newer one was recorded", async () => {
    const runId = newRunId();
    await createRun(runId);
    expect(await store.recordNodeResult(result(runId, "a", 7))).toBe(true);
    expect(await store.recordNodeResult(result(runId, "b", 6))).toBe(false);
    expect(await store.recordNodeResult(result(runId, "b", 8))).toBe(true);
    expect(await store.recordNodeResult(result(runId, "c", 7))).toBe(false);
    expect(await store.recordNodeResult(result(runId, "c", 8))).toBe(true);
    const state = await store.readRun(runId);
    expect(state!.nodeResults.map((r) => [r.nodeId, r.fencingToken])).toEqual([
      ["a", 7],
      ["b", 8],
      ["c", 8],
    ]);
  });

  it("readRun returns what was written, results in recording order", async () => {
    const runId = newRunId();
    expect(await store.readRun(runId)).toBeUndefined();
    await createRun(runId);
    await store.appendEvents([draft(runId, "RUN_CREATED"), draft(runId, "NODE_SCHEDULED", "zeta"), draft(runId, "NODE_SCHEDULED", "alpha")]);
    // zeta before alpha: recording order, not the table's clustering (node_id) order.
    await store.recordNodeResult(result(runId, "zeta", 1, { action: "approve" }));
    await store.recordNodeResult(result(runId, "alpha", 1, { status: "failed", output: undefined, error: { message: "boom", retryable: false } }));
    await store.recordNodeResult(result(runId, "alpha", 1, { attempt: 2, status: "skipped", output: undefined }));
    await store.setContext(runId, "manager", { id: "m1" }, "zeta");

    const state = await store.readRun(runId);
    expect(state).toMatchObject({
      runId,
      blueprintId: "onboarding",
      blueprintVersion: "1",
      status: "running",
      input: { employee: "ada" },
      context: { manager: { id: "m1" } },
      correlationId: `corr-${runId}`,
    });
    expect(state!.nodeResults.map(({ nodeId, attempt, status, action, error, output }) => ({ nodeId, attempt, status, action, error, output }))).toEqual([
      { nodeId: "zeta", attempt: 1, status: "completed", action: "approve", error: undefined, output: { nodeId: "zeta" } },
      { nodeId: "alpha", attempt: 1, status: "failed", action: undefined, error: { message: "boom", retryable: false }, output: undefined },
      { nodeId: "alpha", attempt: 2, status: "skipped", action: undefined, error: undefined, output: undefined },
    ]);
    expect(state!.scheduled).toEqual(
      expect.arrayContaining([
        { nodeId: "zeta", attempt: 1 },
        { nodeId: "alpha", attempt: 1 },
      ]),
    );
    expect(state!.scheduled).toHaveLength(2);
  });

  it("setStatus moves the index row; findStalledRuns finds old running runs only", async () => {
    const longAgo = new Date(Date.now() - 3_600_000);
    const [stalled, fresh, completed] = [newRunId(), newRunId(), newRunId()];
    await createRun(stalled, longAgo);
    await createRun(fresh);
    await createRun(completed, longAgo);
    await store.setStatus(completed, "completed");

    expect(await readIndexStatuses(client, completed)).toEqual(["completed"]);
    expect(await readIndexStatuses(client, stalled)).toEqual(["running"]);

    const found = (await store.findStalledRuns(60, 10_000)).map((r) => r.runId);
    expect(found).toContain(stalled);
    expect(found).not.toContain(fresh);
    expect(found).not.toContain(completed);

    // A status change refreshes updated_at: the run is no longer stalled.
    await store.setStatus(stalled, "running");
    expect((await store.findStalledRuns(60, 10_000)).map((r) => r.runId)).not.toContain(stalled);
    expect(await readIndexStatuses(client, stalled)).toEqual(["running"]);

    await store.setStatus(fresh, "cancelled", "user asked");
    expect((await store.readRun(fresh))!.status).toBe("cancelled");
    expect(await readIndexStatuses(client, fresh)).toEqual(["cancelled"]);

    // NOTE: leave nothing `running` behind for a real reconciler sharing the keyspace.
    await store.setStatus(stalled, "completed");
  });

  it("records an effect once and counts effects", async () => {
    const runId = newRunId();
    const effect = { kind: "email", attempt: 1, fencingToken: 3, detail: { to: "ada" } };
    const writes = await Promise.all(Array.from({ length: 5 }, () => store.recordEffect(runId, "welcomeEmail", "welcome-email", effect)));
    expect(writes.filter(Boolean)).toHaveLength(1);
    expect(await store.recordEffect(runId, "chat", "chat-account", effect)).toBe(true);
    expect(await store.countEffects(runId)).toBe(2);
    expect(await store.countEffects(newRunId())).toBe(0);
  });
});

/** The statuses under which the run has a status index row (checks every status, by the run's bucket). */
async function readIndexStatuses(client: cassandra.Client, runId: string): Promise<string[]> {
  const statuses = ["running", "paused", "completed", "failed", "cancelled"];
  const found: string[] = [];
  for (const status of statuses) {
    const rows = await client.execute(
      "SELECT run_id FROM taskflow.workflow_runs_by_status WHERE status = ? AND bucket = ?",
      [status, statusBucket(runId)],
      { prepare: true },
    );
    if (rows.rows.some((row) => row.get("run_id") === runId)) found.push(status);
  }
  return found;
}
