import { describe, expect, it } from "vitest";
import type { Blueprint } from "./blueprint.ts";
import { MAX_RETRY_DELAY_MS, compileWorkflow, decideNext, retryDecision, timeoutMs, type NodeOutcome } from "./scheduler.ts";
import { simulateRun } from "./simulate.ts";

type NodeSpec = Blueprint["nodes"][number];
const workflowOf = (nodes: (string | NodeSpec)[], edges: Blueprint["edges"]) =>
  compileWorkflow({ id: "t", metadata: { version: "1" }, nodes: nodes.map((n) => (typeof n === "string" ? { id: n, uses: "noop" } : n)), edges });
const done = (nodeId: string, output?: unknown, action?: string): NodeOutcome => ({ nodeId, attempt: 1, status: "completed", output, action });
const failed = (nodeId: string, attempt = 1, retryable?: boolean): NodeOutcome => ({ nodeId, attempt, status: "failed", error: { message: `${nodeId} broke`, retryable } });
const readyIds = (decision: ReturnType<typeof decideNext>) => decision.ready.map((job) => job.nodeId);

// a -> {b, c, d} -> j
const fanIn = (joinStrategy: "all" | "any") =>
  workflowOf(["a", "b", "c", "d", { id: "j", uses: "noop", config: { joinStrategy } }], [
    { source: "a", target: "b" },
    { source: "a", target: "c" },
    { source: "a", target: "d" },
    { source: "b", target: "j" },
    { source: "c", target: "j" },
    { source: "d", target: "j" },
  ]);

describe("decideNext", () => {
  it("starts with the start nodes and the run input", () => {
    const decision = decideNext(fanIn("all"), { input: { id: 1 }, outcomes: [] });
    expect(decision.status).toBe("running");
    expect(decision.ready).toEqual([{ nodeId: "a", attempt: 1, input: { id: 1 }, delayMs: 0, reason: "start" }]);
  });

  it("does not report scheduled attempts as ready again", () => {
    const decision = decideNext(fanIn("all"), { outcomes: [], scheduled: [{ nodeId: "a", attempt: 1 }] });
    expect(decision.ready).toEqual([]);
    expect(decision.nodeStatuses.a).toBe("running");
  });

  it("an all-join waits for every predecessor, and duplicate deliveries never fire it early", () => {
    const workflow = fanIn("all");
    const outcomes = [done("a", 1), done("b", "B"), done("b", "B"), done("c", "C"), done("c", "C"), done("b", "B")];
    const scheduled = ["a", "b", "c", "d"].map((nodeId) => ({ nodeId, attempt: 1 }));
    expect(readyIds(decideNext(workflow, { outcomes, scheduled }))).toEqual([]);
    const decision = decideNext(workflow, { outcomes: [...outcomes, done("d", "D"), done("d", "D")], scheduled });
    expect(decision.ready).toEqual([{ nodeId: "j", attempt: 1, input: { b: "B", c: "C", d: "D" }, delayMs: 0, reason: "edges" }]);
  });

  it("feeding the same outcome twice does not change the decision", () => {
    const workflow = fanIn("all");
    const outcomes = [done("a", 1), done("b", "B"), done("c", "C")];
    const once = decideNext(workflow, { outcomes });
    const twice = decideNext(workflow, { outcomes: [...outcomes, ...outcomes] });
    expect(twice).toEqual(once);
  });

  it("an any-join with three predecessors fires once, and the run completes (never failed first)", () => {
    const workflow = fanIn("any");
    const scheduled = ["a", "b", "c", "d"].map((nodeId) => ({ nodeId, attempt: 1 }));
    const first = decideNext(workflow, { outcomes: [done("a"), done("c", "C")], scheduled });
    expect(first.ready).toEqual([{ nodeId: "j", attempt: 1, input: "C", delayMs: 0, reason: "edges" }]);
    scheduled.push({ nodeId: "j", attempt: 1 });
    const statuses: string[] = [];
    const outcomes = [done("a"), done("c", "C"), done("b", "B"), done("c", "C"), done("j", "J"), done("d", "D"), done("b", "B")];
    for (let seen = 2; seen <= outcomes.length; seen++) {
      const decision = decideNext(workflow, { outcomes: outcomes.slice(0, seen), scheduled });
      expect(decision.ready).toEqual([]);
      statuses.push(decision.status);
    }
    // Completes only once d (still in flight when j fired) has arrived; a duplicate afterwards changes nothing.
    expect(statuses).toEqual(["running", "running", "running", "running", "completed", "completed"]);
  });

  it("an any-join's input stays the first arrival's value", () => {
    const decision = decideNext(fanIn("any"), { outcomes: [done("a"), done("d", "D"), done("b", "B")] });
    expect(decision.ready.find((job) => job.nodeId === "j")?.input).toBe("D");
  });

  it("follows the matching action, skips the others and propagates skips downstream", () => {
    const workflow = workflowOf(["c", "yes", "no", "after-no", "join"], [
      { source: "c", target: "yes", action: "approve" },
      { source: "c", target: "no", action: "reject" },
      { source: "no", target: "after-no" },
      { source: "yes", target: "join" },
      { source: "after-no", target: "join" },
    ]);
    const decision = decideNext(workflow, { outcomes: [done("c", 1, "approve")] });
    expect(readyIds(decision)).toEqual(["yes"]);
    expect(decision.skipped).toEqual(["no", "after-no"]);
    const end = decideNext(workflow, { outcomes: [done("c", 1, "approve"), done("yes", "Y")] });
    expect(end.ready).toEqual([{ nodeId: "join", attempt: 1, input: { yes: "Y" }, delayMs: 0, reason: "edges" }]);
  });

  it("uses action-less edges as the default when no action edge matches", () => {
    const workflow = workflowOf(["c", "special", "default"], [
      { source: "c", target: "special", action: "special" },
      { source: "c", target: "default" },
    ]);
    expect(readyIds(decideNext(workflow, { outcomes: [done("c", 1, "other")] }))).toEqual(["default"]);
    expect(readyIds(decideNext(workflow, { outcomes: [done("c", 1)] }))).toEqual(["default"]);
    expect(readyIds(decideNext(workflow, { outcomes: [done("c", 1, "special")] }))).toEqual(["special"]);
  });

  it("applies conditions and transforms with result and context", () => {
    const workflow = workflowOf(["a", "high", "low"], [
      { source: "a", target: "high", condition: "result.output.score >= context.threshold", transform: "result.output.score * 100" },
      { source: "a", target: "low", condition: "result.output.score < context.threshold" },
    ]);
    const decision = decideNext(workflow, { context: { threshold: 0.5 }, outcomes: [done("a", { score: 0.7 })] });
    expect(decision.ready).toEqual([{ nodeId: "high", attempt: 1, input: 70, delayMs: 0, reason: "edges" }]);
    expect(decision.skipped).toEqual(["low"]);
  });

  it("skips a join whose predecessors were all skipped", () => {
    const workflow = workflowOf(["a", "b", "c", "j", "after"], [
      { source: "a", target: "b", condition: "false" },
      { source: "a", target: "c", condition: "false" },
      { source: "b", target: "j" },
      { source: "c", target: "j" },
      { source: "j", target: "after" },
    ]);
    const decision = decideNext(workflow, { outcomes: [done("a")] });
    expect(decision.skipped).toEqual(["b", "c", "j", "after"]);
    expect(decision.status).toBe("completed");
  });

  it("fails the run when an edge expression throws, naming the edge", () => {
    const workflow = workflowOf(["a", "b"], [{ source: "a", target: "b", condition: "result.output * 2" }]);
    const decision = decideNext(workflow, { outcomes: [done("a", "text")] });
    expect(decision.status).toBe("failed");
    expect(decision.failure?.message).toMatch(/edge #0 \(a -> b\): Operator "\*" needs numbers/);
  });

  it("retries with exponential backoff, then fails the run", () => {
    const workflow = workflowOf([{ id: "a", uses: "noop", config: { maxRetries: 3, retryDelay: 100 } }, "b"], [{ source: "a", target: "b" }]);
    const afterFirst = decideNext(workflow, { input: "in", outcomes: [failed("a", 1)] });
    expect(afterFirst.ready).toEqual([{ nodeId: "a", attempt: 2, input: "in", delayMs: 100, reason: "retry" }]);
    const afterSecond = decideNext(workflow, { input: "in", outcomes: [failed("a", 1), failed("a", 2), failed("a", 1)] });
    expect(afterSecond.ready).toEqual([{ nodeId: "a", attempt: 3, input: "in", delayMs: 200, reason: "retry" }]);
    const exhausted = decideNext(workflow, { outcomes: [failed("a", 1), failed("a", 2), failed("a", 3)] });
    expect(exhausted).toMatchObject({ status: "failed", ready: [], failure: { nodeId: "a", message: "a broke" } });
  });

  it("a late success of an earlier attempt wins over failures", () => {
    const workflow = workflowOf([{ id: "a", uses: "noop", config: { maxRetries: 2 } }], []);
    expect(decideNext(workflow, { outcomes: [failed("a", 1), done("a", "ok")] }).status).toBe("completed");
  });

  it("runs the fallback with the node's input once retries are exhausted; its result stands in for the node", () => {
    const workflow = workflowOf([{ id: "a", uses: "noop", config: { maxRetries: 1, fallback: "f" } }, "f", "b"], [{ source: "a", target: "b", transform: "result.output + '!'" }]);
    const fallbackReady = decideNext(workflow, { input: "in", outcomes: [failed("a", 1)] });
    expect(fallbackReady.status).toBe("running");
    expect(fallbackReady.ready).toEqual([{ nodeId: "f", attempt: 1, input: "in", delayMs: 0, reason: "fallback" }]);
    const recovered = decideNext(workflow, { outcomes: [failed("a", 1), done("f", "fb")] });
    expect(recovered.ready).toEqual([{ nodeId: "b", attempt: 1, input: "fb!", delayMs: 0, reason: "edges" }]);
    expect(recovered.nodeStatuses).toMatchObject({ a: "recovered", f: "completed" });
    expect(decideNext(workflow, { outcomes: [failed("a", 1), failed("f", 1)] }).status).toBe("failed");
  });

  it("skips an unused fallback so the run can complete", () => {
    const workflow = workflowOf([{ id: "a", uses: "noop", config: { fallback: "f" } }, "f"], []);
    const decision = decideNext(workflow, { outcomes: [done("a")] });
    expect(decision).toMatchObject({ status: "completed", skipped: ["f"] });
  });

  it("non-retryable errors skip remaining attempts", () => {
    const workflow = workflowOf([{ id: "a", uses: "noop", config: { maxRetries: 5 } }], []);
    expect(decideNext(workflow, { outcomes: [failed("a", 1, false)] }).status).toBe("failed");
  });

  it("does not report recorded skips again", () => {
    const workflow = workflowOf(["a", "b"], [{ source: "a", target: "b", condition: "false" }]);
    expect(decideNext(workflow, { outcomes: [done("a"), { nodeId: "b", status: "skipped" }] }).skipped).toEqual([]);
  });
});

describe("retryDecision and timeoutMs", () => {
  it("backs off exponentially, capped", () => {
    expect(retryDecision({ maxRetries: 4, retryDelay: 50 }, 1)).toEqual({ kind: "retry", nextAttempt: 2, delayMs: 50 });
    expect(retryDecision({ maxRetries: 4, retryDelay: 50 }, 3)).toEqual({ kind: "retry", nextAttempt: 4, delayMs: 200 });
    expect(retryDecision({ maxRetries: 40, retryDelay: 1_000 }, 30)).toMatchObject({ delayMs: MAX_RETRY_DELAY_MS });
  });

  it("exhausts to the fallback or to failure", () => {
    expect(retryDecision({ maxRetries: 2, fallback: "f" }, 2)).toEqual({ kind: "fallback", fallbackNodeId: "f" });
    expect(retryDecision(undefined, 1)).toEqual({ kind: "fail" });
    expect(retryDecision({ maxRetries: 3 }, 1, { message: "bad input", retryable: false })).toEqual({ kind: "fail" });
  });

  it("exposes the per-attempt timeout", () => {
    expect(timeoutMs({ timeout: 250 })).toBe(250);
    expect(timeoutMs(undefined)).toBeUndefined();
  });
});

describe("simulateRun", () => {
  it("retries a flaky node and completes", () => {
    const workflow = workflowOf([{ id: "a", uses: "noop", config: { maxRetries: 3 } }, "b"], [{ source: "a", target: "b" }]);
    const result = simulateRun(workflow, (nodeId, attempt) => (nodeId === "a" && attempt < 3 ? { status: "failed", error: { message: "flaky" } } : { status: "completed" }));
    expect(result.status).toBe("completed");
    expect(result.executed).toEqual(["a#1", "a#2", "a#3", "b#1"]);
  });
});
