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

  /** Commits `drafts` (and `results`) on top of what the store says now; `undefined` if refused. */
  const commitOnTop = async (writer: CassandraRunStateStore, runId: string, fencingToken: number, events: RunEventDraft[], results: NodeResultRow[] = []) => {
    const state = await writer.readRun(runId);
    return writer.commit({ runId, fencingToken, expectedLastSequence: state!.lastSequence, events, results });
  };

  it("of concurrent commits from the same state exactly one wins; retried commits number 1..N without gaps", async () => {
    const runId = newRunId();
    await createRun(runId);
    // Separate store instances, as with separate workers.
    const writers = Array.from({ length: 10 }, () => new CassandraRunStateStore(client));
    const firstRound = await Promise.all(writers.map((writer) => writer.commit({ runId, fencingToken: 1, expectedLastSequence: 0, events: [draft(runId), draft(runId)] })));
    expect(firstRound.filter((events) => events !== undefined)).toHaveLength(1);

    const committed = await Promise.all(
      writers.map(async (writer, i) => {
        for (;;) {
          const events = await commitOnTop(writer, runId, 1, i % 2 === 0 ? [draft(runId)] : [draft(runId), draft(runId), draft(runId)]);
          if (events) return events;
        }
      }),
    );
    const sequences = [...firstRound.flatMap((events) => events ?? []), ...committed.flat()].map((event) => event.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    for (const batch of committed) batch.forEach((event, i) => expect(event.sequence).toBe(batch[0]!.sequence + i));
    expect((await store.readRun(runId))!.lastSequence).toBe(22);
  });

  it("refuses a commit from a stale state or a stale fencing token and writes nothing of it", async () => {
    const runId = newRunId();
    await createRun(runId);
    expect(await commitOnTop(store, runId, 7, [draft(runId, "NODE_COMPLETED", "a")], [result(runId, "a", 7)])).toHaveLength(1);
    // Stale state: expects sequence 0 although 1 was committed.
    expect(await store.commit({ runId, fencingToken: 9, expectedLastSequence: 0, events: [draft(runId)], results: [result(runId, "b", 9)] })).toBeUndefined();
    // Stale token: the run already committed with 7.
    expect(await commitOnTop(store, runId, 6, [draft(runId, "NODE_COMPLETED", "c")], [result(runId, "c", 6)])).toBeUndefined();
    expect(await commitOnTop(store, runId, 8, [draft(runId, "NODE_COMPLETED", "c")], [result(runId, "c", 8)])).toHaveLength(1);
    const state = await store.readRun(runId);
    expect(state!.nodeResults.map((r) => [r.nodeId, r.fencingToken])).toEqual([
      ["a", 7],
      ["c", 8],
    ]);
    expect(state!.lastSequence).toBe(2);
  });

  it("readRun returns what was committed: results in commit order, scheduled attempts, status", async () => {
    const runId = newRunId();
    expect(await store.readRun(runId)).toBeUndefined();
    await createRun(runId);
    const first = await store.commit({
      runId,
      fencingToken: 1,
      expectedLastSequence: 0,
      events: [draft(runId, "RUN_CREATED"), draft(runId, "NODE_SCHEDULED", "zeta"), draft(runId, "NODE_SCHEDULED", "alpha")],
    });
    expect(first!.map((e) => e.sequence)).toEqual([1, 2, 3]);
    // zeta before alpha: commit order, not the table's clustering (node_id) order.
    const at = new Date();
    await store.commit({
      runId,
      fencingToken: 1,
      expectedLastSequence: 3,
      events: [draft(runId, "NODE_COMPLETED", "zeta"), draft(runId, "NODE_FAILED", "alpha"), draft(runId, "NODE_SKIPPED", "alpha")],
      results: [
        result(runId, "zeta", 1, { action: "approve", recordedAt: at }),
        result(runId, "alpha", 1, { status: "failed", output: undefined, error: { message: "boom", retryable: false }, recordedAt: at }),
        result(runId, "alpha", 1, { attempt: 2, status: "skipped", output: undefined, recordedAt: at }),
      ],
      status: { status: "paused", reason: "user asked" },
    });
    await store.setContext(runId, "manager", { id: "m1" }, "zeta");

    const state = await store.readRun(runId);
    expect(state).toMatchObject({
      runId,
      blueprintId: "onboarding",
      blueprintVersion: "1",
      status: "paused",
      input: { employee: "ada" },
      context: { manager: { id: "m1" } },
      correlationId: `corr-${runId}`,
      lastSequence: 6,
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

  it("records an effect once however often it is written, and counts effects", async () => {
    const runId = newRunId();
    const effect = { kind: "email", attempt: 1, fencingToken: 3, detail: { to: "ada" } };
    await Promise.all(Array.from({ length: 5 }, () => store.recordEffect(runId, "welcomeEmail", "welcome-email", effect)));
    await store.recordEffect(runId, "chat", "chat-account", effect);
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
