import { WorkflowEngine } from "@taskflow/workflow";
import { describe, expect, it } from "vitest";
import { InMemoryCoordinationStore, InMemoryEventSink, InMemoryJobQueue, InMemoryRunStore } from "../../../../packages/workflow/src/engine-test-fakes.ts";
import { EXAMPLE_BLUEPRINT_IDS, UnknownBlueprintError, loadExampleBlueprint, workerRegistry, type ExampleBlueprintId } from "./index.ts";

function engineWithFakes() {
  const store = new InMemoryRunStore();
  const queue = new InMemoryJobQueue();
  const engine = new WorkflowEngine({
    registry: workerRegistry(store),
    store,
    coordination: new InMemoryCoordinationStore(),
    jobs: queue,
    events: new InMemoryEventSink(),
    blueprints: EXAMPLE_BLUEPRINT_IDS.map(loadExampleBlueprint),
  });
  void queue.consume((job) => engine.handleJob(job));
  return { engine, store, queue };
}

describe("loadExampleBlueprint", () => {
  it("names an unknown blueprint id and the ones the worker runs", () => {
    expect(() => loadExampleBlueprint("no-such-workflow" as ExampleBlueprintId)).toThrow(UnknownBlueprintError);
    expect(() => loadExampleBlueprint("no-such-workflow" as ExampleBlueprintId)).toThrow(/unknown blueprint id "no-such-workflow"; this worker runs: employee-onboarding/);
  });
});

describe("example node implementations", () => {
  it("onboarding records its five effects", async () => {
    const { engine, store, queue } = engineWithFakes();
    const { runId } = await engine.startRun({ blueprint: loadExampleBlueprint("employee-onboarding"), input: { employeeId: "e1" }, correlationId: "c" });
    await queue.deliverAll({ copies: 2 });
    expect((await store.readRun(runId))?.status).toBe("completed");
    expect([...(store.effects.get(runId) ?? [])].sort()).toEqual([
      "create-chat-account/create-chat-account:chat-account-created",
      "notify-manager/notify-manager:manager-notified",
      "provision-identity/provision-identity:identity-provisioned",
      "schedule-orientation/schedule-orientation:calendar-event-created",
      "send-welcome-email/send-welcome-email:email-sent",
    ]);
  });

  it.each(["approve", "escalate", "reject"] as const)("moderation takes the %s branch from the input", async (action) => {
    const { engine, store, queue } = engineWithFakes();
    const { runId } = await engine.startRun({ blueprint: loadExampleBlueprint("content-moderation"), input: { action, score: 0.95 }, correlationId: "c" });
    await queue.deliverAll();
    const run = await store.readRun(runId);
    expect(run?.status).toBe("completed");
    const branch = { approve: "approve", escalate: "escalate", reject: "reject" }[action];
    const completed = run?.nodeResults.filter((r) => r.status === "completed").map((r) => r.nodeId);
    expect(completed).toEqual(["classify", branch, "record-decision"]);
    expect(run?.nodeResults.filter((r) => r.status === "skipped")).toHaveLength(2);
    if (action === "escalate") expect(queue.published.find((p) => p.job.nodeId === "escalate")?.job.input).toBe("urgent");
  });
});
