import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseBlueprint } from "./blueprint.ts";
import { WorkflowEngine } from "./engine.ts";
import { InMemoryCoordinationStore, InMemoryEventSink, InMemoryJobQueue, InMemoryRunStore } from "./engine-test-fakes.ts";
import { createReconciler } from "./reconciler.ts";
import { NodeRegistry, type NodeImplementation } from "./registry.ts";

const blueprint = (name: string) => parseBlueprint(JSON.parse(readFileSync(new URL(`../blueprints/${name}.json`, import.meta.url), "utf8")));
const onboarding = blueprint("employee-onboarding");
const moderation = blueprint("content-moderation");

const ok: NodeImplementation = async (ctx) => ({ output: { node: ctx.nodeId } });
const implementations: Record<string, NodeImplementation> = {
  "provision-identity": async () => ({ output: { email: "ada@example.com" } }),
  "send-email": ok,
  "schedule-calendar-event": ok,
  "create-chat-account": ok,
  join: ok,
  "notify-manager": ok,
  "classify-content": async (ctx) => {
    const action = (ctx.input as { action: string }).action;
    return { output: { action, score: 0.5 }, action };
  },
  "publish-content": ok,
  "open-review-ticket": ok,
  "reject-content": ok,
  "record-moderation-decision": ok,
};

/** One store and coordination, several engines (workers) sharing them, each with its own reconciler. */
function cluster() {
  const store = new InMemoryRunStore();
  const coordination = new InMemoryCoordinationStore();
  const queue = new InMemoryJobQueue();
  const executed: string[] = [];
  const registry = new NodeRegistry(
    Object.fromEntries(
      Object.entries(implementations).map(([uses, impl]): [string, NodeImplementation] => [
        uses,
        async (ctx) => {
          executed.push(`${ctx.nodeId}#${ctx.attempt}`);
          return impl(ctx);
        },
      ]),
    ),
  );
  const engine = () => new WorkflowEngine({ registry, store, coordination, jobs: queue, events: new InMemoryEventSink(), blueprints: [onboarding, moderation] });
  const engines = [engine(), engine()];
  void queue.consume((job) => engines[0]!.handleJob(job));
  const reconcilers = engines.map((e) => createReconciler({ engine: e, store, coordination, stalledThresholdSeconds: 30 }));
  /** Makes the run look untouched for a minute. */
  const age = (runId: string) => {
    store.runs.get(runId)!.updatedAt = new Date(Date.now() - 60_000);
  };
  return { store, coordination, queue, engines, reconcilers, executed, age };
}

describe("reconciler", () => {
  it("resumes a run whose job was lost exactly once with two reconcilers running concurrently", async () => {
    const { store, queue, engines, reconcilers, executed, age } = cluster();
    const { runId } = await engines[0]!.startRun({ blueprint: onboarding, input: {}, correlationId: "c-1" });
    await queue.deliverAll({ maxRounds: 2 }); // provision-identity, then the three branches
    queue.pending.splice(0); // the join's job is lost with its worker
    age(runId);

    const publishedBefore = queue.published.length;
    const stats = await Promise.all(reconcilers.map((r) => r.run()));
    expect(stats.map((s) => s.stalledRuns)).toEqual([1, 1]);
    expect(stats.reduce((sum, s) => sum + s.reconciledRuns, 0)).toBe(1);
    expect(stats.reduce((sum, s) => sum + s.failedRuns, 0)).toBe(0);
    expect(queue.published.slice(publishedBefore).map((p) => p.job.nodeId)).toEqual(["onboarding-complete"]);

    await queue.deliverAll();
    expect((await store.readRun(runId))?.status).toBe("completed");
    expect([...executed].sort()).toEqual(onboarding.nodes.map((n) => `${n.id}#1`).sort());
    // A later pass finds nothing: the run ended.
    expect(await reconcilers[0]!.run()).toEqual({ stalledRuns: 0, reconciledRuns: 0, failedRuns: 0 });
  });

  it("does not re-run a completed branch and re-enqueues only the lost one", async () => {
    const { store, queue, engines, reconcilers, executed, age } = cluster();
    const { runId } = await engines[0]!.startRun({ blueprint: onboarding, input: {}, correlationId: "c-2" });
    await queue.deliverAll({ maxRounds: 1 });
    const branches = queue.pending.splice(0);
    expect(branches).toHaveLength(3);
    // Two branches complete; the chat account's job is lost.
    queue.pending.push(...branches.filter((j) => j.nodeId !== "create-chat-account"));
    await queue.deliverAll({ maxRounds: 1 });
    age(runId);

    const publishedBefore = queue.published.length;
    expect(await reconcilers[1]!.run()).toEqual({ stalledRuns: 1, reconciledRuns: 1, failedRuns: 0 });
    expect(queue.published.slice(publishedBefore).map((p) => p.job.nodeId)).toEqual(["create-chat-account"]);
    await queue.deliverAll();
    expect((await store.readRun(runId))?.status).toBe("completed");
    expect(executed.filter((e) => e.startsWith("send-welcome-email") || e.startsWith("schedule-orientation"))).toHaveLength(2);
  });

  it("does not enqueue the branch not taken", async () => {
    const { store, queue, engines, reconcilers, age } = cluster();
    const { runId } = await engines[0]!.startRun({ blueprint: moderation, input: { action: "reject" }, correlationId: "c-3" });
    await queue.deliverAll({ maxRounds: 1 }); // classify → reject
    queue.pending.splice(0); // reject's job is lost
    age(runId);

    const publishedBefore = queue.published.length;
    expect(await reconcilers[0]!.run()).toMatchObject({ stalledRuns: 1, reconciledRuns: 1 });
    expect(queue.published.slice(publishedBefore).map((p) => p.job.nodeId)).toEqual(["reject"]);
    await queue.deliverAll();
    const run = await store.readRun(runId);
    expect(run?.status).toBe("completed");
    expect(run?.nodeResults.filter((r) => r.status === "skipped").map((r) => r.nodeId).sort()).toEqual(["approve", "escalate"]);
  });

  it("marks a run whose blueprint is unknown as failed", async () => {
    const { store, engines, age } = cluster();
    const { runId } = await engines[0]!.startRun({ blueprint: moderation, input: { action: "approve" }, correlationId: "c-4" });
    age(runId);
    const stranger = new WorkflowEngine({
      registry: new NodeRegistry(implementations),
      store,
      coordination: new InMemoryCoordinationStore(),
      jobs: new InMemoryJobQueue(),
      events: new InMemoryEventSink(),
    });
    const reconciler = createReconciler({ engine: stranger, store, coordination: new InMemoryCoordinationStore(), stalledThresholdSeconds: 30 });
    expect(await reconciler.run()).toEqual({ stalledRuns: 1, reconciledRuns: 0, failedRuns: 1 });
    expect((await store.readRun(runId))?.status).toBe("failed");
    expect(store.eventTypes(runId).at(-1)).toBe("RUN_FAILED");
  });

  it("leaves a run that progresses alone (the engine's heartbeat)", async () => {
    const { store, queue, engines, reconcilers } = cluster();
    const engine = new WorkflowEngine({
      registry: new NodeRegistry(implementations),
      store,
      coordination: new InMemoryCoordinationStore(),
      jobs: queue,
      events: new InMemoryEventSink(),
      heartbeatIntervalMs: 0,
    });
    const { runId } = await engine.startRun({ blueprint: onboarding, input: {}, correlationId: "c-5" });
    store.runs.get(runId)!.updatedAt = new Date(Date.now() - 60_000);
    await engine.handleJob(queue.pending.shift()!);
    expect(Date.now() - store.runs.get(runId)!.updatedAt.getTime()).toBeLessThan(5_000);
    expect((await reconcilers[0]!.run()).stalledRuns).toBe(0);
    void engines;
  });
});
