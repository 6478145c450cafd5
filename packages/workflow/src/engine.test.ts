import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BlueprintValidationError, parseBlueprint, type Blueprint } from "./blueprint.ts";
import { StaleRunStateError, WorkflowEngine, engineContextOf } from "./engine.ts";
import { InMemoryCoordinationStore, InMemoryEventSink, InMemoryJobQueue, InMemoryRunStore } from "./engine-test-fakes.ts";
import { NodeRegistry, type NodeImplementation } from "./registry.ts";
import type { RunEvent } from "./transport.ts";

const onboarding = parseBlueprint(JSON.parse(readFileSync(new URL("../blueprints/employee-onboarding.json", import.meta.url), "utf8")));

function harness(implementations: Record<string, NodeImplementation>) {
  const store = new InMemoryRunStore();
  const coordination = new InMemoryCoordinationStore();
  const queue = new InMemoryJobQueue();
  const sink = new InMemoryEventSink();
  const executed: string[] = [];
  const counted = Object.fromEntries(
    Object.entries(implementations).map(([uses, implementation]): [string, NodeImplementation] => [
      uses,
      async (ctx) => {
        executed.push(`${ctx.nodeId}#${ctx.attempt}`);
        const result = await implementation(ctx);
        await store.recordEffect(ctx.runId, ctx.nodeId, `${ctx.nodeId}:effect`);
        return result;
      },
    ]),
  );
  const engine = new WorkflowEngine({ registry: new NodeRegistry(counted), store, coordination, jobs: queue, events: sink });
  void queue.consume((job) => engine.handleJob(job));
  return { engine, store, queue, sink, executed };
}

const ok: NodeImplementation = async (ctx) => ({ output: { node: ctx.nodeId, input: ctx.input } });

const onboardingNodes: Record<string, NodeImplementation> = {
  "provision-identity": async (ctx) => ({ output: { userId: "u-1", email: "ada@example.com", token: engineContextOf(ctx).fencingToken } }),
  "send-email": ok,
  "schedule-calendar-event": ok,
  "create-chat-account": ok,
  join: ok,
  "notify-manager": ok,
};

const fanIn = (joinStrategy: "all" | "any"): Blueprint => ({
  id: `fan-in-${joinStrategy}`,
  metadata: { version: "1" },
  nodes: [
    { id: "a", uses: "ok" },
    { id: "b", uses: "ok" },
    { id: "c", uses: "ok" },
    { id: "d", uses: "ok" },
    { id: "j", uses: "ok", config: { joinStrategy } },
  ],
  edges: [
    { source: "a", target: "b" },
    { source: "a", target: "c" },
    { source: "a", target: "d" },
    { source: "b", target: "j" },
    { source: "c", target: "j" },
    { source: "d", target: "j" },
  ],
});

describe("WorkflowEngine", () => {
  it("completes onboarding with each node executed once when every job is delivered twice", async () => {
    const { engine, store, queue, sink, executed } = harness(onboardingNodes);
    const { runId } = await engine.startRun({ blueprint: onboarding, input: { name: "Ada" }, correlationId: "corr-1" });
    await queue.deliverAll({ copies: 2 });

    const run = await store.readRun(runId);
    expect(run?.status).toBe("completed");
    expect([...executed].sort()).toEqual(onboarding.nodes.map((n) => `${n.id}#1`).sort());
    expect(store.effects.get(runId)?.size).toBe(6);
    const types = store.eventTypes(runId);
    expect(types[0]).toBe("RUN_CREATED");
    expect(types.at(-1)).toBe("RUN_COMPLETED");
    expect(types.filter((t) => t.startsWith("NODE_COMPLETED"))).toHaveLength(6);
    expect(types.filter((t) => t.startsWith("NODE_SCHEDULED"))).toHaveLength(6);
    // Every appended event was published, gap-free, with the correlation id.
    expect(sink.events.map((e) => e.sequence)).toEqual(types.map((_, i) => i + 1));
    expect(new Set(sink.events.map((e) => e.correlationId))).toEqual(new Set(["corr-1"]));
    expect(new Set(queue.published.map((p) => p.job.correlationId))).toEqual(new Set(["corr-1"]));
    // The join got the three branches' outputs; the e-mail node the edge transform's value.
    expect(queue.published.find((p) => p.job.nodeId === "send-welcome-email")?.job.input).toBe("ada@example.com");
    expect(Object.keys(queue.published.find((p) => p.job.nodeId === "onboarding-complete")?.job.input as object).sort()).toEqual([
      "create-chat-account",
      "schedule-orientation",
      "send-welcome-email",
    ]);
  });

  it("refuses a step whose run changed meanwhile: nothing committed or published; the redelivered job completes the run once", async () => {
    let interfered = false;
    let interferingSequence = 0;
    const { engine, store, queue, sink, executed } = harness({
      ...onboardingNodes,
      "send-email": async (ctx) => {
        if (!interfered) {
          // Another writer commits to the run while this attempt runs (as after a lost lease).
          interfered = true;
          const state = await store.readRun(ctx.runId);
          interferingSequence = state!.lastSequence + 1;
          await store.commit({ runId: ctx.runId, fencingToken: engineContextOf(ctx).fencingToken, expectedLastSequence: state!.lastSequence, events: [{ runId: ctx.runId, type: "RUN_RESUMED", correlationId: "corr-x", occurredAt: new Date() }] });
        }
        return { output: "sent" };
      },
    });
    const { runId } = await engine.startRun({ blueprint: onboarding, input: { name: "Ada" }, correlationId: "corr-x" });
    const failures: unknown[] = [];
    const published = () => sink.events.length;
    let before = 0;
    for (let round = 0; round < 20 && queue.pending.length > 0; round++) {
      const job = queue.pending.shift()!;
      before = published();
      await engine.handleJob(job).catch((error: unknown) => {
        failures.push(error);
        // Redelivered, as the transport does with a job whose handler rejected.
        queue.pending.push(job);
        expect(published()).toBe(before);
      });
    }
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(StaleRunStateError);
    expect((await store.readRun(runId))?.status).toBe("completed");
    expect(executed.filter((e) => e.startsWith("send-welcome-email"))).toEqual(["send-welcome-email#1", "send-welcome-email#1"]);
    expect(store.effects.get(runId)?.size).toBe(6);
    // Every committed event was published once; the other writer's (it never published it)
    // by the next step of the run, after the steps that were already in order.
    const committed = store.eventTypes(runId).map((_, i) => i + 1);
    expect([...sink.events.map((e) => e.sequence)].sort((a, b) => a - b)).toEqual(committed);
    expect(sink.events.filter((e) => e.sequence === interferingSequence)).toHaveLength(1);
  });

  it("the step after a commit whose publish failed publishes that commit's events and jobs", async () => {
    const { engine, store, queue, sink } = harness(onboardingNodes);
    const failOnce = { armed: true };
    const publish = sink.publish.bind(sink);
    // The publish after provision-identity's commit fails (as if the worker died there).
    sink.publish = async (events: readonly RunEvent[]) => {
      if (failOnce.armed && events.some((e) => e.type === "NODE_COMPLETED" && e.nodeId === "provision-identity")) {
        failOnce.armed = false;
        throw new Error("kafka send failed");
      }
      return publish(events);
    };
    const jobsPublish = queue.publish.bind(queue);
    let dropJobs = true;
    queue.publish = async (jobs, options) => (dropJobs && jobs.some((j) => j.nodeId === "send-welcome-email") ? undefined : jobsPublish(jobs, options));
    const { runId } = await engine.startRun({ blueprint: onboarding, input: { name: "Ada" }, correlationId: "corr-r" });
    const job = queue.pending.shift()!;
    await expect(engine.handleJob(job)).rejects.toThrow("kafka send failed");
    dropJobs = false;
    // Redelivered: the result is recorded, so nothing runs again, but what the step committed is published.
    await engine.handleJob(job);
    await queue.deliverAll();
    expect((await store.readRun(runId))?.status).toBe("completed");
    const sequences = sink.events.map((e) => e.sequence);
    expect(new Set(sequences)).toEqual(new Set(store.eventTypes(runId).map((_, i) => i + 1)));
    expect(store.effects.get(runId)?.size).toBe(6);
  });

  it("refuses a blueprint with an unknown `uses`", async () => {
    const { engine, store } = harness({ ok });
    const blueprint: Blueprint = { id: "bad", metadata: { version: "1" }, nodes: [{ id: "x", uses: "nope" }], edges: [] };
    await expect(engine.startRun({ blueprint, input: {}, correlationId: "c" })).rejects.toThrow(BlueprintValidationError);
    await expect(engine.startRun({ blueprint, input: {}, correlationId: "c" })).rejects.toThrow(/uses "nope"/);
    expect(store.runs.size).toBe(0);
  });

  it("fires an `any` join once", async () => {
    const { engine, store, queue, executed } = harness({ ok });
    const { runId } = await engine.startRun({ blueprint: fanIn("any"), input: {}, correlationId: "c" });
    await queue.deliverAll({ copies: 2 });
    expect((await store.readRun(runId))?.status).toBe("completed");
    expect(executed.filter((e) => e.startsWith("j#"))).toEqual(["j#1"]);
    expect(queue.published.filter((p) => p.job.nodeId === "j")).toHaveLength(1);
  });

  it("fires an `all` join once, after every branch", async () => {
    const { engine, store, queue, executed } = harness({ ok });
    const { runId } = await engine.startRun({ blueprint: fanIn("all"), input: {}, correlationId: "c" });
    await queue.deliverAll({ copies: 3 });
    expect((await store.readRun(runId))?.status).toBe("completed");
    expect(executed.indexOf("j#1")).toBe(executed.length - 1);
    expect(queue.published.filter((p) => p.job.nodeId === "j")).toHaveLength(1);
  });

  it("retries a failing node with backoff, then runs its fallback", async () => {
    const blueprint: Blueprint = {
      id: "retry",
      metadata: { version: "1" },
      nodes: [
        { id: "flaky", uses: "fail", config: { maxRetries: 3, retryDelay: 100, fallback: "backup" } },
        { id: "backup", uses: "ok" },
        { id: "after", uses: "ok" },
      ],
      edges: [{ source: "flaky", target: "after" }],
    };
    const { engine, store, queue, executed } = harness({
      ok,
      fail: async () => {
        throw new Error("downstream unavailable");
      },
    });
    const { runId } = await engine.startRun({ blueprint, input: { v: 1 }, correlationId: "c" });
    await queue.deliverAll();
    expect((await store.readRun(runId))?.status).toBe("completed");
    expect(executed).toEqual(["flaky#1", "flaky#2", "flaky#3", "backup#1", "after#1"]);
    expect(queue.published.filter((p) => p.job.nodeId === "flaky").map((p) => p.delayMs)).toEqual([0, 100, 200]);
    const types = store.eventTypes(runId);
    expect(types.filter((t) => t === "NODE_RETRIED:flaky")).toHaveLength(2);
    expect(types.filter((t) => t === "NODE_FAILED:flaky")).toHaveLength(3);
    expect(types.at(-1)).toBe("RUN_COMPLETED");
  });

  it("fails a node that exceeds its timeout, and the run without fallback", async () => {
    const blueprint: Blueprint = { id: "slow", metadata: { version: "1" }, nodes: [{ id: "s", uses: "slow", config: { timeout: 20 } }], edges: [] };
    let aborted = false;
    const { engine, store, queue } = harness({
      slow: (ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
          });
          setTimeout(() => resolve({}), 1_000).unref();
        }),
    });
    const { runId } = await engine.startRun({ blueprint, input: {}, correlationId: "c" });
    await queue.deliverAll();
    const run = await store.readRun(runId);
    expect(run?.status).toBe("failed");
    expect(run?.nodeResults[0]?.error?.message).toMatch(/timed out after 20 ms/);
    expect(aborted).toBe(true);
    expect(store.eventTypes(runId).at(-1)).toBe("RUN_FAILED");
  });

  it("pause stops scheduling; resume continues exactly where it was", async () => {
    const { engine, store, queue, executed } = harness(onboardingNodes);
    const { runId } = await engine.startRun({ blueprint: onboarding, input: {}, correlationId: "c" });
    await queue.deliverAll({ maxRounds: 1 }); // provision-identity ran, its three successors are queued
    expect(await engine.pause(runId, "operator")).toBe(true);
    expect(await engine.pause(runId, "again")).toBe(false);
    await queue.deliverAll();
    expect(executed).toEqual(["provision-identity#1"]);
    expect((await store.readRun(runId))?.status).toBe("paused");

    expect(await engine.resume(runId, "operator")).toBe(true);
    expect(queue.pending.map((j) => j.nodeId).sort()).toEqual(["create-chat-account", "schedule-orientation", "send-welcome-email"]);
    await queue.deliverAll();
    expect((await store.readRun(runId))?.status).toBe("completed");
    expect(executed).toHaveLength(6);
    const types = store.eventTypes(runId);
    expect(types).toContain("RUN_PAUSED");
    expect(types).toContain("RUN_RESUMED");
  });

  it("cancel stops further nodes", async () => {
    const { engine, store, queue, executed } = harness(onboardingNodes);
    const { runId } = await engine.startRun({ blueprint: onboarding, input: {}, correlationId: "c" });
    await queue.deliverAll({ maxRounds: 1 });
    expect(await engine.cancel(runId, "employee left")).toBe(true);
    await queue.deliverAll();
    expect(executed).toEqual(["provision-identity#1"]);
    const run = await store.readRun(runId);
    expect(run?.status).toBe("cancelled");
    expect(store.runs.get(runId)?.reason).toBe("employee left");
    expect(store.eventTypes(runId).at(-1)).toBe("RUN_CANCELLED");
    expect(await engine.resume(runId, "too late")).toBe(false);
  });

  it("starts the same run id once", async () => {
    const { engine, queue } = harness(onboardingNodes);
    expect((await engine.startRun({ blueprint: onboarding, input: {}, correlationId: "c", runId: "r1" })).created).toBe(true);
    expect((await engine.startRun({ blueprint: onboarding, input: {}, correlationId: "c", runId: "r1" })).created).toBe(false);
    expect(queue.pending).toHaveLength(1);
  });
});
