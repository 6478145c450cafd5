import { describe, expect, it } from "vitest";
import { blueprintOf, layoutDag } from "./blueprints";
import { nodeStates, timelineFinished, type RunEventView } from "./events";
import { cancelRunInputSchema, startRunInputSchema } from "./schemas";
import { transportLabel, TRANSPORT_IDS } from "./transports";

function event(seq: number, type: string, nodeId: string | null = null): RunEventView {
  return { seq, type, nodeId, attempt: nodeId ? 1 : null, time: null, correlationId: "c", actor: null };
}

describe("nodeStates", () => {
  it("derives each node's state from its last event, in seq order", () => {
    const events = [event(4, "NODE_FAILED", "b"), event(1, "RUN_CREATED"), event(2, "NODE_SCHEDULED", "a"), event(3, "NODE_COMPLETED", "a"), event(5, "NODE_RETRIED", "b"), event(6, "NODE_SKIPPED", "c")];
    expect(nodeStates(["a", "b", "c", "d"], events)).toEqual({ a: "completed", b: "running", c: "skipped", d: "pending" });
  });

  it("shows nodes still scheduled or running when the run ended as stopped", () => {
    const events = [event(1, "NODE_SCHEDULED", "a"), event(2, "NODE_SCHEDULED", "b"), event(3, "NODE_COMPLETED", "a"), event(4, "RUN_CANCELLED")];
    expect(nodeStates(["a", "b", "c"], events)).toEqual({ a: "completed", b: "stopped", c: "pending" });
  });

  it("ignores events about nodes the blueprint lacks", () => {
    expect(nodeStates(["a"], [event(1, "NODE_FAILED", "zz")])).toEqual({ a: "pending" });
  });

  it("knows when the timeline holds its terminal event", () => {
    expect(timelineFinished([event(1, "RUN_CREATED")])).toBe(false);
    expect(timelineFinished([event(1, "RUN_CREATED"), event(2, "RUN_CANCELLED")])).toBe(true);
  });
});

describe("layoutDag", () => {
  it("puts every onboarding edge left to right", () => {
    const blueprint = blueprintOf("employee-onboarding")!;
    const { positions, layers } = layoutDag(blueprint);
    const layer = new Map(positions.map((p) => [p.id, p.layer]));
    for (const edge of blueprint.edges) expect(layer.get(edge.target)!).toBeGreaterThan(layer.get(edge.source)!);
    expect(layers).toBe(4);
  });

  it("knows only the example workflows", () => {
    expect(blueprintOf("nope")).toBeUndefined();
  });
});

describe("startRunInputSchema", () => {
  it("accepts a known workflow on either transport with empty or object input", () => {
    expect(startRunInputSchema.parse({ workflowId: "content-moderation", transport: "kafka", input: "" })).toEqual({ workflowId: "content-moderation", transport: "kafka", input: {} });
    expect(startRunInputSchema.parse({ workflowId: "employee-onboarding", transport: "rabbitmq", input: '{"a":1}' })).toEqual({
      workflowId: "employee-onboarding",
      transport: "rabbitmq",
      input: { a: 1 },
    });
  });

  it("refuses an unknown workflow, malformed JSON and non-objects", () => {
    expect(startRunInputSchema.safeParse({ workflowId: "x", transport: "kafka", input: "" }).success).toBe(false);
    const malformed = startRunInputSchema.safeParse({ workflowId: "employee-onboarding", transport: "kafka", input: "{oops" });
    expect(malformed.error?.issues[0]?.message).toBe("The input is not valid JSON.");
    expect(startRunInputSchema.safeParse({ workflowId: "employee-onboarding", transport: "kafka", input: "[1]" }).success).toBe(false);
  });

  it("needs one of the transports, named in the message", () => {
    for (const transport of [undefined, "", "sqs", "Kafka"]) {
      const parsed = startRunInputSchema.safeParse({ workflowId: "employee-onboarding", transport, input: "" });
      expect(parsed.error?.issues.map((issue) => [issue.path.join("."), issue.message]), String(transport)).toEqual([["transport", "Choose a transport: Kafka or RabbitMQ."]]);
    }
  });

  it("needs a reason and a run id to cancel", () => {
    expect(cancelRunInputSchema.safeParse({ runId: "0f8c1d2e-0000-5000-8000-000000000000", reason: " " }).success).toBe(false);
    expect(cancelRunInputSchema.safeParse({ runId: "nope", reason: "x" }).success).toBe(false);
  });
});

describe("transports", () => {
  it("are the command schema's, labelled for the pages", () => {
    expect(TRANSPORT_IDS).toEqual(["kafka", "rabbitmq"]);
    expect(transportLabel("rabbitmq")).toBe("RabbitMQ");
    expect(transportLabel("kafka")).toBe("Kafka");
  });

  it("reads ? for a row without one (folded before the column existed) or an unknown one", () => {
    expect(transportLabel(null)).toBe("?");
    expect(transportLabel("toString")).toBe("?");
  });
});
