import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { analyseBlueprint, parseBlueprint } from "./blueprint.ts";
import { compileWorkflow } from "./scheduler.ts";
import { simulateRun } from "./simulate.ts";

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
