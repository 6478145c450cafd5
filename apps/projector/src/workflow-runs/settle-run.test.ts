import { describe, expect, it } from "vitest";
import { silentLogger } from "@taskflow/kafka";
import type { WorkflowEventRecord } from "@taskflow/workflow-adapters";
import { projectRun, type RunStatusRow } from "./run-projection.ts";
import type { RunProjectionStore } from "./run-status-store.ts";
import { settleRun, type SettleContext } from "./settle-run.ts";

const RUN = "run-settle";

function event(seq: number, type: string, nodeId: string | null = null): WorkflowEventRecord {
  return {
    eventId: `e-${seq}`,
    runId: RUN,
    workflowId: "wf",
    workflowVersion: "1",
    seq,
    type,
    nodeId,
    attempt: nodeId ? 1 : null,
    payload: "{}",
    actor: "system:worker",
    correlationId: "corr",
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
    transport: "kafka",
  };
}

const HISTORY = [event(1, "RUN_CREATED"), event(2, "NODE_SCHEDULED", "a"), event(3, "NODE_STARTED", "a"), event(4, "NODE_COMPLETED", "a"), event(5, "RUN_COMPLETED")];

/** The projection's rows and the event store, in memory; `storeHolds` is what Connect has written so far. */
class MemoryStore implements RunProjectionStore {
  readonly rows = new Map<string, RunStatusRow>();
  writes = 0;
  eventReads = 0;
  constructor(public storeHolds: WorkflowEventRecord[] = []) {}

  async loadRow(runId: string): Promise<RunStatusRow | null> {
    return structuredClone(this.rows.get(runId) ?? null);
  }
  async writeRow(row: RunStatusRow): Promise<void> {
    this.writes++;
    this.rows.set(row.runId, structuredClone(row));
  }
  async readEvents(runId: string, afterSeq: number, throughSeq: number): Promise<WorkflowEventRecord[]> {
    this.eventReads++;
    return this.storeHolds.filter((e) => e.runId === runId && e.seq > afterSeq && e.seq <= throughSeq).sort((a, b) => a.seq - b.seq);
  }
}

function context(overrides: Partial<SettleContext> = {}): SettleContext {
  return { gapWaitMs: 1_000, pollMs: 1, isRunning: () => true, heartbeat: async () => undefined, logger: silentLogger, sleep: async () => undefined, ...overrides };
}

describe("settleRun", () => {
  it("folds in-order events into a new row and writes it once", async () => {
    const store = new MemoryStore();
    const settled = await settleRun(store, RUN, HISTORY.slice(0, 3), context());
    expect(settled).toEqual({ applied: 3, duplicates: 0, fromStore: 0, gapWaited: false, gapSkipped: false, written: true });
    expect(store.rows.get(RUN)).toEqual(projectRun(HISTORY.slice(0, 3)));
    expect(store.writes).toBe(1);
  });

  it("writes nothing for a redelivery", async () => {
    const store = new MemoryStore();
    await settleRun(store, RUN, HISTORY.slice(0, 3), context());
    const settled = await settleRun(store, RUN, [HISTORY[1]!, HISTORY[2]!, HISTORY[2]!], context());
    expect(settled).toEqual({ applied: 0, duplicates: 3, fromStore: 0, gapWaited: false, gapSkipped: false, written: false });
    expect(store.writes).toBe(1);
  });

  it("fills a gap from the event store, then folds in seq order", async () => {
    const store = new MemoryStore(HISTORY);
    await settleRun(store, RUN, HISTORY.slice(0, 2), context());
    // Seq 5 arrives before 3 and 4 (they come later in the partition); Connect already stored them.
    const settled = await settleRun(store, RUN, [HISTORY[4]!], context());
    expect(settled).toEqual({ applied: 3, duplicates: 0, fromStore: 2, gapWaited: true, gapSkipped: false, written: true });
    expect(store.rows.get(RUN)).toEqual(projectRun(HISTORY));
    // The late events, when they arrive, change nothing.
    expect(await settleRun(store, RUN, HISTORY.slice(2, 4), context())).toMatchObject({ applied: 0, duplicates: 2, written: false });
    expect(store.rows.get(RUN)).toEqual(projectRun(HISTORY));
  });

  it("waits until the event store holds the missing events", async () => {
    const store = new MemoryStore(HISTORY.slice(0, 2));
    let sleeps = 0;
    let heartbeats = 0;
    const settled = await settleRun(store, RUN, [HISTORY[0]!, HISTORY[3]!], context({
      sleep: async () => {
        // Connect writes seq 3 while the run waits.
        if (++sleeps === 3) store.storeHolds = HISTORY;
      },
      heartbeat: async () => void heartbeats++,
    }));
    expect(settled).toMatchObject({ applied: 4, fromStore: 2, gapWaited: true, gapSkipped: false, written: true });
    expect(store.rows.get(RUN)).toEqual(projectRun(HISTORY.slice(0, 4)));
    expect({ sleeps, heartbeats, reads: store.eventReads }).toEqual({ sleeps: 3, heartbeats: 3, reads: 4 });
  });

  it("folds without the missing events once the wait is over", async () => {
    const store = new MemoryStore(HISTORY.slice(0, 2));
    await settleRun(store, RUN, HISTORY.slice(0, 2), context());
    const errors: unknown[] = [];
    const settled = await settleRun(store, RUN, [HISTORY[4]!], context({ gapWaitMs: 0, logger: { ...silentLogger, error: (_m, fields) => errors.push(fields) } }));
    expect(settled).toMatchObject({ applied: 1, gapWaited: true, gapSkipped: true, written: true });
    expect(store.rows.get(RUN)).toMatchObject({ status: "completed", lastSeq: 5, eventCount: 3 });
    expect(errors).toEqual([expect.objectContaining({ runId: RUN, afterSeq: 2, throughSeq: 5 })]);
  });

  it("gives up without writing when the consumer stops during the wait", async () => {
    const store = new MemoryStore(HISTORY.slice(0, 2));
    await settleRun(store, RUN, HISTORY.slice(0, 2), context());
    const settled = await settleRun(store, RUN, [HISTORY[4]!], context({ isRunning: () => false }));
    expect(settled).toBeNull();
    expect(store.writes).toBe(1);
  });

  it("rebuilds a truncated row from the event store", async () => {
    // The projection was truncated; the run's next event finds no row.
    const store = new MemoryStore(HISTORY);
    const settled = await settleRun(store, RUN, [HISTORY[3]!], context());
    expect(settled).toMatchObject({ applied: 4, fromStore: 3, written: true });
    expect(store.rows.get(RUN)).toEqual(projectRun(HISTORY.slice(0, 4)));
  });
});
