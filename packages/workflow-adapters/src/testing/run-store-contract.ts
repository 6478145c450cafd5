import { randomUUID } from "node:crypto";
import type { EngineRunStore, NodeResultRow, RunEventDraft } from "@taskflow/workflow";
import { afterAll, beforeAll, expect, it } from "vitest";

/** A run store under test, as both transports' stores are (createRun, commit, readRun, setContext). */
export type ContractStore = EngineRunStore & { setContext(runId: string, key: string, value: unknown, nodeId?: string): Promise<void> };

export interface ContractSubject {
  store: ContractStore;
  /** Another store instance on its own connections, as a second worker would have. */
  newWriter(): ContractStore;
  /** The committed events' sequence numbers as the store keeps them beyond readRun (PostgreSQL: its outbox), if any. */
  keptSequences?(runId: string): Promise<number[]>;
  close(): Promise<void>;
}

/**
 * The `RunStateStore.commit`/`readRun` contract (packages/workflow/src/transport.ts), the
 * same `it`s for every transport's store: call inside the store's `describe`.
 */
export function runStoreContract(open: () => Promise<ContractSubject>): { subject: () => ContractSubject; helpers: ReturnType<typeof contractHelpers> } {
  let subject: ContractSubject | undefined;
  beforeAll(async () => {
    subject = await open();
  });
  afterAll(async () => {
    await subject?.close();
  });
  const current = () => {
    if (!subject) throw new Error("the contract's store is not open yet");
    return subject;
  };
  const helpers = contractHelpers(() => current().store);
  const { newRunId, createRun, draft, result, commitOnTop } = helpers;

  it("of concurrent commits from the same state exactly one wins; retried commits number 1..N without gaps", async () => {
    const { store, newWriter, keptSequences } = current();
    const runId = newRunId();
    await createRun(runId);
    const writers = Array.from({ length: 10 }, () => newWriter());
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
    const oneToN = Array.from({ length: 22 }, (_, i) => i + 1);
    expect([...sequences].sort((a, b) => a - b)).toEqual(oneToN);
    for (const batch of committed) batch.forEach((event, i) => expect(event.sequence).toBe(batch[0]!.sequence + i));
    expect((await store.readRun(runId))!.lastSequence).toBe(22);
    if (keptSequences) expect(await keptSequences(runId)).toEqual(oneToN);
  });

  it("refuses a commit from a stale state or a stale fencing token and writes nothing of it", async () => {
    const { store, keptSequences } = current();
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
    if (keptSequences) expect(await keptSequences(runId)).toEqual([1, 2]);
  });

  it("readRun returns what was committed: results in commit order, scheduled attempts, status", async () => {
    const { store } = current();
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
    // zeta before alpha: commit order, not the storage's (node id) order.
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

  return { subject: current, helpers };
}

/** Run ids, runs, drafts and results for store tests. */
export function contractHelpers(store: () => ContractStore) {
  const newRunId = () => `test-run-${randomUUID()}`;
  return {
    newRunId,
    createRun: (runId: string) => store().createRun({ runId, blueprintId: "onboarding", blueprintVersion: "1", input: { employee: "ada" }, correlationId: `corr-${runId}` }),
    draft: (runId: string, type: RunEventDraft["type"] = "NODE_STARTED", nodeId?: string): RunEventDraft => ({
      runId,
      type,
      nodeId,
      attempt: nodeId ? 1 : undefined,
      correlationId: `corr-${runId}`,
      occurredAt: new Date(),
    }),
    result: (runId: string, nodeId: string, fencingToken: number, overrides: Partial<NodeResultRow> = {}): NodeResultRow => ({
      runId,
      nodeId,
      attempt: 1,
      status: "completed",
      output: { nodeId },
      fencingToken,
      recordedAt: new Date(),
      ...overrides,
    }),
    /** Commits `events` (and `results`) on top of what `writer` reads now; `undefined` if refused. */
    commitOnTop: async (writer: ContractStore, runId: string, fencingToken: number, events: RunEventDraft[], results: NodeResultRow[] = []) => {
      const state = await writer.readRun(runId);
      return writer.commit({ runId, fencingToken, expectedLastSequence: state!.lastSequence, events, results });
    },
  };
}
