import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { analyseBlueprint, parseBlueprint } from "./blueprint.ts";
import { compileWorkflow, retryDecision } from "./scheduler.ts";
import { simulateRun, type SimulatedOutcome } from "./simulate.ts";

const loadExample = (name: string) => parseBlueprint(JSON.parse(readFileSync(new URL(`../blueprints/${name}.json`, import.meta.url), "utf8")));

describe("employee-onboarding blueprint", () => {
  const blueprint = loadExample("employee-onboarding");

  it("analyses cleanly", () => {
    expect(analyseBlueprint(blueprint)).toMatchObject({ startNodeIds: ["provision-identity"], terminalNodeIds: ["notify-manager"], cycles: [], problems: [] });
  });

  it("runs identity, then the three parallel steps, then the fan-in and the manager notification", () => {
    const inputs = new Map<string, unknown>();
    const result = simulateRun(compileWorkflow(blueprint), (nodeId, _attempt, input) => {
      inputs.set(nodeId, input);
      return { status: "completed", output: nodeId === "provision-identity" ? { email: "ada@example.com" } : `${nodeId}:done` };
    }, { input: { employeeId: "e-1" } });
    expect(result.status).toBe("completed");
    expect(result.executed).toEqual([
      "provision-identity#1",
      "send-welcome-email#1",
      "schedule-orientation#1",
      "create-chat-account#1",
      "onboarding-complete#1",
      "notify-manager#1",
    ]);
    expect(result.skipped).toEqual([]);
    expect(inputs.get("provision-identity")).toEqual({ employeeId: "e-1" });
    expect(inputs.get("send-welcome-email")).toBe("ada@example.com");
    expect(inputs.get("onboarding-complete")).toEqual({
      "send-welcome-email": "send-welcome-email:done",
      "schedule-orientation": "schedule-orientation:done",
      "create-chat-account": "create-chat-account:done",
    });
  });
});

describe("content-moderation blueprint", () => {
  const blueprint = loadExample("content-moderation");

  it("analyses cleanly", () => {
    expect(analyseBlueprint(blueprint)).toMatchObject({ startNodeIds: ["classify"], terminalNodeIds: ["record-decision"], cycles: [], problems: [] });
  });

  it.each([
    ["approve", ["escalate", "reject"]],
    ["escalate", ["approve", "reject"]],
    ["reject", ["approve", "escalate"]],
  ])("branches on %s and skips the others", (action, skipped) => {
    const inputs = new Map<string, unknown>();
    const result = simulateRun(compileWorkflow(blueprint), (nodeId, _attempt, input) => {
      inputs.set(nodeId, input);
      return nodeId === "classify" ? { status: "completed", action, output: { score: 0.95 } } : { status: "completed", output: nodeId };
    });
    expect(result.status).toBe("completed");
    expect(result.executed).toEqual(["classify#1", `${action}#1`, "record-decision#1"]);
    expect(result.skipped).toEqual(skipped);
    expect(inputs.get("record-decision")).toEqual({ [action]: action });
    if (action === "escalate") expect(inputs.get("escalate")).toBe("urgent");
  });

  it("retries classification once, then fails the run (no fallback)", () => {
    const result = simulateRun(compileWorkflow(blueprint), () => ({ status: "failed", error: { message: "model unavailable" } }));
    expect(result.status).toBe("failed");
    expect(result.executed).toEqual(["classify#1", "classify#2"]);
    expect(result.final.failure).toEqual({ nodeId: "classify", message: "model unavailable" });
  });
});

/** Every node completes with its own id as output, except those `overrides` says otherwise. */
function behaviour(overrides: Record<string, (attempt: number, input: unknown) => SimulatedOutcome> = {}, inputs?: Map<string, unknown>) {
  return (nodeId: string, attempt: number, input: unknown): SimulatedOutcome => {
    inputs?.set(nodeId, input);
    return overrides[nodeId]?.(attempt, input) ?? { status: "completed", output: nodeId };
  };
}

describe("employee-offboarding blueprint", () => {
  const blueprint = loadExample("employee-offboarding");
  const workflow = compileWorkflow(blueprint);
  const revoke = (hasEquipment: unknown) => ({ "revoke-access": (): SimulatedOutcome => ({ status: "completed", output: { employeeId: "e-1", hasEquipment } }) });

  it("analyses cleanly", () => {
    expect(analyseBlueprint(blueprint)).toMatchObject({ startNodeIds: ["revoke-access"], terminalNodeIds: ["notify-hr"], cycles: [], unreachableNodeIds: [], problems: [] });
    expect(blueprint.nodes.find((node) => node.id === "notify-hr")?.config?.joinStrategy).toBe("all");
  });

  it("revokes access, runs the four steps in parallel, then notifies HR with every result", () => {
    const inputs = new Map<string, unknown>();
    const result = simulateRun(workflow, behaviour(revoke(true), inputs), { input: { employeeId: "e-1", hasEquipment: true } });
    expect(result.status).toBe("completed");
    expect(result.executed).toEqual(["revoke-access#1", "disable-identity#1", "archive-mailbox#1", "reclaim-equipment#1", "final-payroll#1", "notify-hr#1"]);
    expect(result.skipped).toEqual([]);
    expect(inputs.get("reclaim-equipment")).toEqual({ employeeId: "e-1", hasEquipment: true });
    expect(Object.keys(inputs.get("notify-hr") as object).sort()).toEqual(["archive-mailbox", "disable-identity", "final-payroll", "reclaim-equipment"]);
  });

  it.each([false, undefined, "true"])("skips equipment reclaim when hasEquipment is %s, and the join still fires", (hasEquipment) => {
    const inputs = new Map<string, unknown>();
    const result = simulateRun(workflow, behaviour(revoke(hasEquipment), inputs), { input: { employeeId: "e-1" } });
    expect(result.status).toBe("completed");
    expect(result.skipped).toEqual(["reclaim-equipment"]);
    expect(result.executed).toEqual(["revoke-access#1", "disable-identity#1", "archive-mailbox#1", "final-payroll#1", "notify-hr#1"]);
    expect(inputs.get("notify-hr")).toEqual({ "disable-identity": "disable-identity", "archive-mailbox": "archive-mailbox", "final-payroll": "final-payroll" });
  });

  it("does not notify HR when a parallel step fails for good", () => {
    const result = simulateRun(workflow, behaviour({ ...revoke(true), "final-payroll": () => ({ status: "failed", error: { message: "payroll closed" } }) }));
    expect(result.status).toBe("failed");
    expect(result.executed).not.toContain("notify-hr#1");
    expect(result.final.failure).toEqual({ nodeId: "final-payroll", message: "payroll closed" });
  });
});

describe("employee-transfer blueprint", () => {
  const blueprint = loadExample("employee-transfer");
  const workflow = compileWorkflow(blueprint);

  it("analyses cleanly", () => {
    expect(analyseBlueprint(blueprint)).toMatchObject({ startNodeIds: ["update-org-chart"], terminalNodeIds: ["notify-managers"], cycles: [], unreachableNodeIds: [], problems: [] });
    expect(blueprint.nodes.find((node) => node.id === "notify-managers")?.config?.joinStrategy).toBe("any");
  });

  it.each([
    ["same-department", "update-access-groups", "move-to-new-team"],
    ["new-department", "move-to-new-team", "update-access-groups"],
  ])("on %s runs %s, skips %s and notifies the managers once", (action, taken, skipped) => {
    const inputs = new Map<string, unknown>();
    const orgChart = { "update-org-chart": (): SimulatedOutcome => ({ status: "completed", action, output: { employeeId: "e-1" } }) };
    const result = simulateRun(workflow, behaviour({ ...orgChart, [taken]: () => ({ status: "completed", output: { via: taken } }) }, inputs));
    expect(result.status).toBe("completed");
    expect(result.executed).toEqual(["update-org-chart#1", `${taken}#1`, "notify-managers#1"]);
    expect(result.skipped).toEqual([skipped]);
    expect(inputs.get(taken)).toEqual({ employeeId: "e-1" });
    // An `any` join receives the first arrived edge's value, not a map of predecessors.
    expect(inputs.get("notify-managers")).toEqual({ via: taken });
  });

  it("takes neither branch for an unknown action, and the run completes with nothing to notify", () => {
    const result = simulateRun(workflow, behaviour({ "update-org-chart": () => ({ status: "completed", action: "promotion" }) }));
    expect(result.status).toBe("completed");
    expect(result.skipped).toEqual(["update-access-groups", "move-to-new-team", "notify-managers"]);
  });
});

describe("employee-update blueprint", () => {
  const blueprint = loadExample("employee-update");
  const workflow = compileWorkflow(blueprint);
  const failing = (message: string, retryable?: boolean) => (): SimulatedOutcome => ({ status: "failed", error: retryable === undefined ? { message } : { message, retryable } });

  it("analyses cleanly: the fallback is neither a start node nor reached by an edge", () => {
    expect(analyseBlueprint(blueprint)).toMatchObject({
      startNodeIds: ["validate-change"],
      terminalNodeIds: ["queue-directory-sync", "notify-employee"],
      cycles: [],
      unreachableNodeIds: [],
      problems: [],
    });
  });

  it("retries the profile update with a small, doubling delay", () => {
    const config = blueprint.nodes.find((node) => node.id === "apply-profile-update")?.config;
    expect(retryDecision(config, 1)).toEqual({ kind: "retry", nextAttempt: 2, delayMs: 50 });
    expect(retryDecision(config, 2)).toEqual({ kind: "retry", nextAttempt: 3, delayMs: 100 });
    expect(retryDecision(config, 3)).toEqual({ kind: "fail" });
  });

  it("validates, applies, syncs and notifies, without the fallback", () => {
    const result = simulateRun(workflow, behaviour(), { input: { employeeId: "e-1", changes: { title: "Staff Engineer" } } });
    expect(result.status).toBe("completed");
    expect(result.executed).toEqual(["validate-change#1", "apply-profile-update#1", "sync-directory#1", "notify-employee#1"]);
    expect(result.skipped).toEqual(["queue-directory-sync"]);
  });

  it("applies on the second attempt after a transient failure", () => {
    const result = simulateRun(workflow, behaviour({ "apply-profile-update": (attempt) => (attempt === 1 ? { status: "failed", error: { message: "busy" } } : { status: "completed", output: "applied" }) }));
    expect(result.status).toBe("completed");
    expect(result.executed).toEqual(["validate-change#1", "apply-profile-update#1", "apply-profile-update#2", "sync-directory#1", "notify-employee#1"]);
  });

  it("queues the directory sync when the sync keeps failing, and notifies with the fallback's result", () => {
    const inputs = new Map<string, unknown>();
    const result = simulateRun(
      workflow,
      behaviour({ "apply-profile-update": () => ({ status: "completed", output: { applied: true } }), "sync-directory": failing("directory unavailable"), "queue-directory-sync": () => ({ status: "completed", output: { directory: "queued" } }) }, inputs),
    );
    expect(result.status).toBe("completed");
    expect(result.executed).toEqual(["validate-change#1", "apply-profile-update#1", "sync-directory#1", "sync-directory#2", "queue-directory-sync#1", "notify-employee#1"]);
    expect(result.final.nodeStatuses["sync-directory"]).toBe("recovered");
    expect(inputs.get("queue-directory-sync")).toEqual({ applied: true });
    expect(inputs.get("notify-employee")).toEqual({ directory: "queued" });
  });

  it("fails at once on an invalid change (not retryable) and when the profile update keeps failing", () => {
    const invalid = simulateRun(workflow, behaviour({ "validate-change": failing("invalid profile change", false) }));
    expect(invalid.status).toBe("failed");
    expect(invalid.executed).toEqual(["validate-change#1"]);
    const exhausted = simulateRun(workflow, behaviour({ "apply-profile-update": failing("busy") }));
    expect(exhausted.status).toBe("failed");
    expect(exhausted.executed).toEqual(["validate-change#1", "apply-profile-update#1", "apply-profile-update#2", "apply-profile-update#3"]);
    expect(exhausted.final.failure).toEqual({ nodeId: "apply-profile-update", message: "busy" });
  });
});
