import { describe, expect, it } from "vitest";
import { advanceRun, applyRunEvent, inSeqOrder, projectRun, runDay, type RunEventInput } from "./run-projection.ts";

const RUN = "run-1";
const T0 = Date.parse("2026-03-04T23:59:58.000Z");

/** A run's events from compact specs: [type, nodeId?, payload?], seq 1, 2, 3..., one second apart. */
function history(...specs: [type: string, nodeId?: string | null, payload?: unknown][]): RunEventInput[] {
  return specs.map(([type, nodeId, payload], i) => event(i + 1, type, nodeId ?? null, payload));
}

function event(seq: number, type: string, nodeId: string | null = null, payload: unknown = {}): RunEventInput {
  return {
    runId: RUN,
    workflowId: "employee-onboarding",
    workflowVersion: "1.0.0",
    seq,
    type,
    nodeId,
    payload: typeof payload === "string" ? payload : JSON.stringify(payload),
    correlationId: "corr-1",
    time: new Date(T0 + (seq - 1) * 1000),
    transport: "kafka",
  };
}

const completedRun = history(
  ["RUN_CREATED", null, { input: { employeeId: "e-1" } }],
  ["NODE_SCHEDULED", "provision"],
  ["NODE_STARTED", "provision"],
  ["NODE_COMPLETED", "provision"],
  ["NODE_SCHEDULED", "welcome"],
  ["NODE_SKIPPED", "chat"],
  ["NODE_STARTED", "welcome"],
  ["NODE_FAILED", "welcome", { error: { message: "smtp down" } }],
  ["NODE_RETRIED", "welcome", { delayMs: 100 }],
  ["NODE_SCHEDULED", "welcome"],
  ["NODE_STARTED", "welcome"],
  ["NODE_COMPLETED", "welcome"],
  ["RUN_COMPLETED"],
);

describe("projectRun", () => {
  it("folds a completed run: identity from RUN_CREATED, times of the first and last event, every node's last state", () => {
    expect(projectRun(completedRun)).toEqual({
      runId: RUN,
      workflowId: "employee-onboarding",
      workflowVersion: "1.0.0",
      status: "completed",
      createdAt: new Date(T0),
      updatedAt: new Date(T0 + 12_000),
      lastSeq: 13,
      transport: "kafka",
      correlationId: "corr-1",
      statusReason: null,
      nodeStates: { provision: "completed", welcome: "completed", chat: "skipped" },
      eventCount: 13,
    });
  });

  it("gives each node the state of its last event: scheduled, running, failed, retrying", () => {
    const row = projectRun(
      history(["RUN_CREATED"], ["NODE_SCHEDULED", "a"], ["NODE_SCHEDULED", "b"], ["NODE_STARTED", "b"], ["NODE_SCHEDULED", "c"], ["NODE_STARTED", "c"], ["NODE_FAILED", "c"], ["NODE_SCHEDULED", "d"], ["NODE_STARTED", "d"], ["NODE_FAILED", "d"], ["NODE_RETRIED", "d"]),
    );
    expect(row?.nodeStates).toEqual({ a: "scheduled", b: "running", c: "failed", d: "retrying" });
    expect(row?.status).toBe("running");
  });

  it("is the same whatever the delivery order and however often an event is delivered", () => {
    const shuffled = [completedRun[7]!, completedRun[0]!, completedRun[12]!, completedRun[3]!, completedRun[7]!, ...completedRun.slice(1, 3), ...completedRun.slice(4).reverse(), completedRun[0]!];
    expect(projectRun(shuffled)).toEqual(projectRun(completedRun));
  });

  it("keeps the first of two events with one seq", () => {
    const row = projectRun([event(1, "RUN_CREATED"), event(2, "RUN_PAUSED", null, { reason: "first" }), event(2, "RUN_CANCELLED", null, { reason: "second" })]);
    expect(row).toMatchObject({ status: "paused", statusReason: "first", eventCount: 2, lastSeq: 2 });
  });

  it("takes the status and its reason from the last RUN_* event", () => {
    const paused = history(["RUN_CREATED"], ["NODE_SCHEDULED", "a"], ["RUN_PAUSED", null, { reason: "waiting for HR" }]);
    expect(projectRun(paused)).toMatchObject({ status: "paused", statusReason: "waiting for HR" });

    const resumed = [...paused, event(4, "RUN_RESUMED", null, { reason: "HR answered", ready: [] })];
    expect(projectRun(resumed)).toMatchObject({ status: "running", statusReason: "HR answered" });

    const cancelled = [...resumed, event(5, "RUN_CANCELLED", null, { reason: "employee left" })];
    expect(projectRun(cancelled)).toMatchObject({ status: "cancelled", statusReason: "employee left", nodeStates: { a: "scheduled" } });

    const failed = history(["RUN_CREATED"], ["NODE_FAILED", "a"], ["RUN_FAILED", null, { failure: { nodeId: "a", message: "a failed after 3 attempts" } }]);
    expect(projectRun(failed)).toMatchObject({ status: "failed", statusReason: "a failed after 3 attempts" });

    const failedByReconciler = history(["RUN_CREATED"], ["RUN_FAILED", null, { reason: "blueprint gone" }]);
    expect(projectRun(failedByReconciler)).toMatchObject({ status: "failed", statusReason: "blueprint gone" });

    // Completing clears the reason a pause left.
    const completedAfterPause = [...resumed, event(5, "RUN_COMPLETED")];
    expect(projectRun(completedAfterPause)).toMatchObject({ status: "completed", statusReason: null });
  });

  it("keeps the transport that ran the run, as RUN_CREATED says (both transports share the event store)", () => {
    const onRabbitMq = completedRun.map((e) => ({ ...e, transport: "rabbitmq" }));
    expect(projectRun(onRabbitMq)).toMatchObject({ transport: "rabbitmq", status: "completed" });
    expect(projectRun(completedRun)).toMatchObject({ transport: "kafka" });
    // Without RUN_CREATED, the first event folded says it.
    expect(projectRun(onRabbitMq.slice(2, 4))?.transport).toBe("rabbitmq");
  });

  it("tolerates payloads that are not JSON or not objects, and types it does not know", () => {
    const row = projectRun([event(1, "RUN_CREATED"), event(2, "RUN_PAUSED", null, "{not json"), event(3, "NODE_TELEPORTED", "a"), event(4, "RUN_CANCELLED", null, "[1, 2]")]);
    expect(row).toMatchObject({ status: "cancelled", statusReason: null, nodeStates: {}, lastSeq: 4, eventCount: 4 });
  });

  it("folds what the store holds when a seq is missing", () => {
    const row = projectRun([completedRun[0]!, completedRun[1]!, completedRun[3]!]);
    expect(row).toMatchObject({ lastSeq: 4, eventCount: 3, nodeStates: { provision: "completed" }, updatedAt: completedRun[3]!.time });
  });

  it("starts from the first event when RUN_CREATED is missing", () => {
    const row = projectRun(completedRun.slice(2, 4));
    expect(row).toMatchObject({ status: "running", createdAt: completedRun[2]!.time, lastSeq: 4, eventCount: 2 });
  });

  it("gives no row for no events", () => {
    expect(projectRun([])).toBeNull();
  });

  it("refuses to fold two runs together", () => {
    expect(() => projectRun([event(1, "RUN_CREATED"), { ...event(2, "RUN_COMPLETED"), runId: "run-2" }])).toThrow(/run-2/);
  });

  it("does not change the row it is given", () => {
    const before = projectRun(completedRun.slice(0, 3))!;
    const copy = structuredClone(before);
    applyRunEvent(before, completedRun[3]!);
    expect(before).toEqual(copy);
  });
});

describe("advanceRun", () => {
  it("continues a stored row exactly as the fold of the whole history", () => {
    for (let cut = 0; cut <= completedRun.length; cut++) {
      const stored = projectRun(completedRun.slice(0, cut));
      const { row, applied, duplicates, gap } = advanceRun(stored, completedRun.slice(cut));
      expect(row).toEqual(projectRun(completedRun));
      expect({ applied, duplicates, gap }).toEqual({ applied: completedRun.length - cut, duplicates: 0, gap: null });
    }
  });

  it("applies only seqs above the row's lastSeq: a redelivery changes nothing", () => {
    const stored = projectRun(completedRun.slice(0, 6))!;
    const redelivered = advanceRun(stored, completedRun.slice(2, 6));
    expect(redelivered).toEqual({ row: stored, applied: 0, duplicates: 4, gap: null });
    const mixed = advanceRun(stored, [completedRun[6]!, completedRun[5]!, completedRun[6]!]);
    expect(mixed).toMatchObject({ applied: 1, duplicates: 2, gap: null, row: { lastSeq: 7 } });
  });

  it("stops at a missing seq and says which seqs it needs", () => {
    const stored = projectRun(completedRun.slice(0, 2))!;
    const result = advanceRun(stored, [completedRun[4]!, completedRun[2]!, completedRun[5]!]);
    expect(result.row).toEqual(projectRun(completedRun.slice(0, 3)));
    expect(result).toMatchObject({ applied: 1, duplicates: 0, gap: { afterSeq: 3, throughSeq: 6, pending: 2 } });
  });

  it("needs everything from seq 1 when there is no row and the first event is later", () => {
    expect(advanceRun(null, [completedRun[2]!])).toEqual({ row: null, applied: 0, duplicates: 0, gap: { afterSeq: 0, throughSeq: 3, pending: 1 } });
  });

  it("folds across the gap when allowed", () => {
    const result = advanceRun(projectRun(completedRun.slice(0, 2)), [completedRun[4]!], { allowGaps: true });
    expect(result).toMatchObject({ applied: 1, gap: null, row: { lastSeq: 5, eventCount: 3 } });
  });
});

describe("helpers", () => {
  it("orders by seq and keeps the first of each seq", () => {
    const a = event(2, "NODE_SCHEDULED", "a");
    const b = event(2, "NODE_SCHEDULED", "b");
    expect(inSeqOrder([event(3, "X"), a, event(1, "RUN_CREATED"), b]).map((e) => [e.seq, e.nodeId])).toEqual([
      [1, null],
      [2, "a"],
      [3, null],
    ]);
  });

  it("puts a run in the UTC day of its creation", () => {
    expect(runDay({ createdAt: new Date("2026-03-04T23:59:59.999Z") })).toBe("2026-03-04");
    expect(runDay(projectRun(completedRun)!)).toBe("2026-03-04");
  });
});
