import { randomUUID } from "node:crypto";
import type { RunEvent } from "@taskflow/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ONBOARDING_EFFECTS, ONBOARDING_EFFECT_NODES, ONBOARDING_NODES, waitForPublishedEnd } from "./testing/onboarding-assertions.ts";
import { EventLog, outcomeCount, slowEffects, waitFor } from "./testing/proof-support.ts";
import { PROOF_TRANSPORTS, transportHarness } from "./testing/transport-harness.ts";
import { startWorker, type Worker } from "./worker.ts";

/**
 * Conformance (issues #4 and #6), once per transport on the real stack: pause, resume and
 * cancel while a node of the run is executing and others are queued. The example nodes
 * are made slow for this file's runs only: each effect write waits SLOW_MS first
 * (testing/proof-support.ts `slowEffects`, which patches both transports' run stores), and
 * a write that began tells the test its node is executing.
 *
 * NOTE: a command takes the run's lease (with priority over job steps), which a step
 * holds for its node's whole execution, so it applies when the executing step ends. Kafka
 * hands a worker a partition's jobs one at a time, RabbitMQ the run's whole fan-out at
 * once; on both, only the nodes executing when the command was given finish, none starts
 * after it, and jobs that arrive later are dropped.
 */
const SLOW_MS = 1_000;
const slowRuns = new Set<string>();
/** Effect writes begun per slow run: `slowEffects` asks for the delay as a write begins, i.e. while its node executes. */
const effectWritesBegun = new Map<string, number>();
let restoreEffects: (() => void) | undefined;

beforeAll(() => {
  restoreEffects = slowEffects((runId) => {
    if (!slowRuns.has(runId)) return 0;
    effectWritesBegun.set(runId, (effectWritesBegun.get(runId) ?? 0) + 1);
    return SLOW_MS;
  });
});

afterAll(() => restoreEffects?.());

describe.each(PROOF_TRANSPORTS)("conformance on %s: pause, resume and cancel with jobs in flight", (transport) => {
  const harness = transportHarness(transport, "conformance-control", { jobsPartitions: 3 });
  const events = new EventLog();
  let worker: Worker;

  const statusOf = async (runId: string) => (await worker.store.readRun(runId))?.status;
  const waitForStatus = (runId: string, status: string) => waitFor(`run ${runId} ${status}`, async () => ((await statusOf(runId)) === status ? true : undefined));
  const skipped = () => outcomeCount(worker.metrics.render(), "skipped-inactive");
  /** The sequence of the run's `type` event, once it was published. */
  const publishedSequenceOf = async (runId: string, type: string): Promise<number> => {
    const event = await waitFor(`${type} of ${runId} published`, () => events.of(runId).find((e) => e.type === type), 20_000);
    return event.sequence;
  };
  const after = (runId: string, sequence: number): RunEvent[] => events.of(runId).filter((e) => e.sequence > sequence);

  /** Waits until the run's first fan-out node is executing (the second effect write began). */
  const waitForFanOutExecuting = (runId: string) =>
    waitFor(`a fan-out node of ${runId} executing`, () => ((effectWritesBegun.get(runId) ?? 0) >= 2 ? true : undefined));

  /**
   * The nodes executing when the command was given (`executingAtCommand` effect writes
   * begun) finished and were recorded before the command's event at `commandAt`, and no
   * node began after the command was given.
   */
  async function expectExecutingNodesFinished(runId: string, commandAt: number, executingAtCommand: number): Promise<void> {
    const effects = await worker.store.countEffects(runId);
    console.log(`[${transport}] ${executingAtCommand} effect writes had begun when the command was given, ${effects} were recorded when it applied`);
    expect(effectWritesBegun.get(runId), "effect writes begun by the time the command applied").toBe(executingAtCommand);
    expect(effects, "effects of the nodes executing at the command").toBe(executingAtCommand);
    expect(effects).toBeLessThan(ONBOARDING_EFFECTS);
    const completedBefore = events.of(runId).filter((e) => e.sequence < commandAt && e.type === "NODE_COMPLETED" && ONBOARDING_EFFECT_NODES.includes(e.nodeId!));
    expect(completedBefore, "effect nodes completed before the command").toHaveLength(effects);
  }

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
    await harness.setUp();
    worker = await startWorker(harness.workerConfig(`it-control-${harness.names.suffix}`, { onEvents: events.collect }));
  });

  afterAll(async () => {
    await worker?.stop();
    await harness.tearDown();
  });

  it("pauses with a node executing (it finishes, nothing new starts), then resumes to completion", async () => {
    const runId = await startSlowRun("it-control-pause");
    await waitForFanOutExecuting(runId);
    const [skippedBefore, executing] = [skipped(), effectWritesBegun.get(runId)!];
    expect(await worker.engine.pause(runId, "maintenance")).toBe(true);
    expect(await statusOf(runId)).toBe("paused");
    const pausedAt = await publishedSequenceOf(runId, "RUN_PAUSED");
    // Jobs scheduled before the pause reach the worker and are dropped; the executing node finished and was recorded.
    expect(await waitForDroppedJobs(runId, pausedAt, skippedBefore)).toBeGreaterThan(0);
    expect(after(runId, pausedAt).map((e) => e.type)).toEqual([]);
    await expectExecutingNodesFinished(runId, pausedAt, executing);

    expect(await worker.engine.resume(runId, "maintenance over")).toBe(true);
    await waitForStatus(runId, "completed");
    await waitForPublishedEnd(events, runId);
    expect(await publishedSequenceOf(runId, "RUN_RESUMED")).toBe(pausedAt + 1);
    expect(await worker.store.countEffects(runId)).toBe(ONBOARDING_EFFECTS);
    const ordered = events.of(runId);
    expect(ordered.map((e) => e.sequence)).toEqual(ordered.map((_, i) => i + 1));
    const completed = ordered.filter((e) => e.type === "NODE_COMPLETED").map((e) => e.nodeId).sort();
    expect(completed).toEqual(ONBOARDING_NODES);
  });

  it("cancels with a reason while a node is executing; no node starts after RUN_CANCELLED", async () => {
    const runId = await startSlowRun("it-control-cancel");
    await waitForFanOutExecuting(runId);
    const [skippedBefore, executing] = [skipped(), effectWritesBegun.get(runId)!];
    expect(await worker.engine.cancel(runId, "offer withdrawn")).toBe(true);
    expect(await statusOf(runId)).toBe("cancelled");
    const cancelledAt = await publishedSequenceOf(runId, "RUN_CANCELLED");
    expect(events.of(runId).find((e) => e.type === "RUN_CANCELLED")?.payload).toEqual({ reason: "offer withdrawn" });
    // Jobs scheduled before the cancel still arrive; they are dropped, none starts.
    expect(await waitForDroppedJobs(runId, cancelledAt, skippedBefore)).toBeGreaterThan(0);
    expect(after(runId, cancelledAt).filter((e) => e.type === "NODE_STARTED")).toEqual([]);
    expect(events.types(runId)).not.toContain("NODE_STARTED:notify-manager");
    await expectExecutingNodesFinished(runId, cancelledAt, executing);
    expect(await statusOf(runId)).toBe("cancelled");
  });
});
