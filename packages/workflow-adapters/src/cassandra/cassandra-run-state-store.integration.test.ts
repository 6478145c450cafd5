import { randomUUID } from "node:crypto";
import type cassandra from "cassandra-driver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStoreContract } from "../testing/run-store-contract.ts";
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

  // The contract every transport's store meets (testing/run-store-contract.ts); separate
  // store instances stand for separate workers.
  runStoreContract(async () => ({ store, newWriter: () => new CassandraRunStateStore(client), close: async () => undefined }));

  const newRunId = () => `test-run-${randomUUID()}`;
  const createRun = (runId: string, createdAt?: Date) =>
    store.createRun({ runId, blueprintId: "onboarding", blueprintVersion: "1", input: { employee: "ada" }, correlationId: `corr-${runId}`, createdAt });

  it("creates a run once", async () => {
    const runId = newRunId();
    expect(await createRun(runId)).toBe(true);
    expect(await createRun(runId)).toBe(false);
  });

  it("keeps each commit's events as unconfirmed until markPublished", async () => {
    const runId = newRunId();
    await createRun(runId);
    const draft = (type: "RUN_CREATED" | "NODE_SCHEDULED", nodeId?: string) => ({ runId, type, nodeId, attempt: nodeId ? 1 : undefined, correlationId: "c", occurredAt: new Date() });
    const first = await store.commit({ runId, fencingToken: 1, expectedLastSequence: 0, events: [draft("RUN_CREATED"), draft("NODE_SCHEDULED", "a")] });
    const second = await store.commit({ runId, fencingToken: 1, expectedLastSequence: 2, events: [draft("NODE_SCHEDULED", "b")] });
    const state = await store.readRun(runId);
    expect(state!.unconfirmed).toEqual([
      { firstSequence: 1, events: first },
      { firstSequence: 3, events: second },
    ]);
    // The kept rows are neither results nor scheduled attempts.
    expect(state!.nodeResults).toEqual([]);
    expect(state!.scheduled.map((s) => s.nodeId).sort()).toEqual(["a", "b"]);
    await store.markPublished(runId, 1);
    expect((await store.readRun(runId))!.unconfirmed).toEqual([{ firstSequence: 3, events: second }]);
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
