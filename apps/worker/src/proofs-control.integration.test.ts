import { randomUUID } from "node:crypto";
import type { RunEvent } from "@taskflow/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testKafka } from "../../../tests/support/services.ts";
import { EventLog, createTopics, deleteTopics, outcomeCount, proofNames, slowEffects, waitFor, workerConfig } from "./testing/proof-support.ts";
import { startWorker, type Worker } from "./worker.ts";

/**
 * Issue #4 proof: pause, resume and cancel while a node is in flight, on the real stack
 * (own topics, group, Redis prefix). The example nodes are made slow for this file's runs
 * only: each effect write waits SLOW_MS first (testing/proof-support.ts `slowEffects`).
 *
 * NOTE: pause/cancel take the run's lease, which a step holds for its node's whole
 * execution, so they apply when the in-flight step ends. The lease is not fair: a run's
 * next job (same partition, picked up within milliseconds) usually wins it again, and a
 * pause can starve until the run ends. So these runs' jobs wait PICKUP_MS before their
 * step takes the lease, which leaves the command's lease poll (<= 200 ms) a window.
 */
const kafka = testKafka("worker-proofs-control-it");
const names = proofNames("proofs-control");
const SLOW_MS = 1_000;
const PICKUP_MS = 600;
const slowRuns = new Set<string>();
const events = new EventLog();
let worker: Worker;
let restoreEffects: () => void;

const statusOf = async (runId: string) => (await worker.store.readRun(runId))?.status;
const waitForStatus = (runId: string, status: string) => waitFor(`run ${runId} ${status}`, async () => ((await statusOf(runId)) === status ? true : undefined));
const skipped = () => outcomeCount(worker.metrics.render(), "skipped-inactive");
const sequenceOf = (runId: string, type: string): number => {
  const event = events.of(runId).find((e) => e.type === type);
  if (!event) throw new Error(`no ${type} in run ${runId}: ${events.types(runId).join(", ")}`);
  return event.sequence;
};
const after = (runId: string, sequence: number): RunEvent[] => events.of(runId).filter((e) => e.sequence > sequence);

async function startSlowRun(prefix: string): Promise<string> {
  const runId = `${prefix}-${randomUUID()}`;
  slowRuns.add(runId);
  await worker.startRun({ blueprintId: "employee-onboarding", input: { employeeId: runId }, correlationId: `corr-${runId}`, runId });
  return runId;
}

/** Waits until every job scheduled before `sequence` (and not started) was delivered and dropped as inactive. */
async function waitForDroppedJobs(runId: string, sequence: number, skippedBefore: number): Promise<number> {
  const earlier = events.of(runId).filter((e) => e.sequence < sequence);
  const started = new Set(earlier.filter((e) => e.type === "NODE_STARTED").map((e) => `${e.nodeId}#${e.attempt}`));
  const pending = earlier.filter((e) => e.type === "NODE_SCHEDULED" && !started.has(`${e.nodeId}#${e.attempt}`)).length;
  await waitFor(`${pending} jobs of ${runId} dropped`, () => (skipped() - skippedBefore >= pending ? true : undefined), 30_000);
  return pending;
}

beforeAll(async () => {
  restoreEffects = slowEffects((runId) => (slowRuns.has(runId) ? SLOW_MS : 0));
  await createTopics(kafka, names, 3);
  worker = await startWorker(workerConfig(names, `it-proofs-control-${names.suffix}`, { onEvents: events.collect }));
  // The worker's job handler calls `engine.handleJob` on this very object.
  const handleJob = worker.engine.handleJob.bind(worker.engine);
  worker.engine.handleJob = async (job) => {
    if (slowRuns.has(job.runId)) await new Promise((resolve) => setTimeout(resolve, PICKUP_MS));
    return handleJob(job);
  };
});

afterAll(async () => {
  await worker?.stop();
  restoreEffects?.();
  await deleteTopics(kafka, names);
});

describe("issue #4 proofs: pause, resume and cancel with a node in flight (real Kafka, Cassandra, Redis)", () => {
  it("pauses with a node in flight (it finishes, nothing new is scheduled), then resumes to completion", async () => {
    const runId = await startSlowRun("it-proofs-pause");
    await waitFor("provision-identity in flight", () => (events.types(runId).includes("NODE_STARTED:provision-identity") ? true : undefined));
    const skippedBefore = skipped();
    expect(await worker.engine.pause(runId, "maintenance")).toBe(true);
    await waitForStatus(runId, "paused");
    const pausedAt = sequenceOf(runId, "RUN_PAUSED");
    // The in-flight node finished and was recorded; its successors' jobs reach the worker and are dropped.
    expect(events.types(runId).indexOf("NODE_COMPLETED:provision-identity")).toBeGreaterThan(-1);
    const dropped = await waitForDroppedJobs(runId, pausedAt, skippedBefore);
    expect(dropped).toBeGreaterThan(0);
    expect(after(runId, pausedAt).map((e) => e.type)).toEqual([]);
    expect(await worker.store.countEffects(runId)).toBe(1);

    expect(await worker.engine.resume(runId, "maintenance over")).toBe(true);
    await waitForStatus(runId, "completed");
    await waitFor("RUN_COMPLETED published", () => (events.types(runId).includes("RUN_COMPLETED") ? true : undefined));
    const resumedAt = sequenceOf(runId, "RUN_RESUMED");
    expect(resumedAt).toBe(pausedAt + 1);
    expect(await worker.store.countEffects(runId)).toBe(5);
    const ordered = events.of(runId);
    expect(ordered.map((e) => e.sequence)).toEqual(ordered.map((_, i) => i + 1));
    const completed = ordered.filter((e) => e.type === "NODE_COMPLETED").map((e) => e.nodeId).sort();
    expect(completed).toEqual(["create-chat-account", "notify-manager", "onboarding-complete", "provision-identity", "schedule-orientation", "send-welcome-email"]);
  });

  it("cancels with a reason while a node is in flight; no node starts after RUN_CANCELLED", async () => {
    const runId = await startSlowRun("it-proofs-cancel");
    // Let the fan-out start: cancel while a middle node is in flight.
    await waitFor("a fan-out node in flight", () => (events.types(runId).includes("NODE_STARTED:send-welcome-email") ? true : undefined));
    const skippedBefore = skipped();
    expect(await worker.engine.cancel(runId, "offer withdrawn")).toBe(true);
    await waitForStatus(runId, "cancelled");
    const cancelledAt = sequenceOf(runId, "RUN_CANCELLED");
    expect(events.of(runId).find((e) => e.type === "RUN_CANCELLED")?.payload).toEqual({ reason: "offer withdrawn" });
    // Jobs scheduled before the cancel still arrive; they are dropped, none starts.
    await waitForDroppedJobs(runId, cancelledAt, skippedBefore);
    expect(after(runId, cancelledAt).filter((e) => e.type === "NODE_STARTED")).toEqual([]);
    expect(events.types(runId)).not.toContain("NODE_STARTED:notify-manager");
    expect(await worker.store.countEffects(runId)).toBeLessThan(5);
    expect(await statusOf(runId)).toBe("cancelled");
  });
});
