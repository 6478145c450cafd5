import type { RunEvent } from "@taskflow/workflow";
import { describe, expect, it } from "vitest";
import { OutboxEventSink } from "./outbox-relay.ts";
import { parseOutboxEvent } from "./postgres-run-state-store.ts";

describe("parseOutboxEvent", () => {
  const stored = {
    type: "NODE_COMPLETED",
    nodeId: "welcome",
    attempt: 2,
    correlationId: "corr-1",
    occurredAt: "2025-01-02T03:04:05.678Z",
    payload: { action: "approve" },
    workflowId: "employee-onboarding",
    workflowVersion: "1.0.0",
    actor: "system:worker",
    transport: "rabbitmq",
  };

  it("turns an outbox row back into the committed event and its publish context", () => {
    expect(parseOutboxEvent("run-1", 7, stored)).toEqual({
      event: { runId: "run-1", sequence: 7, type: "NODE_COMPLETED", nodeId: "welcome", attempt: 2, correlationId: "corr-1", occurredAt: new Date(stored.occurredAt), payload: { action: "approve" } },
      context: { workflowId: "employee-onboarding", workflowVersion: "1.0.0", actor: "system:worker", transport: "rabbitmq" },
    });
  });

  it("leaves out what a run event did not have", () => {
    const { nodeId: _nodeId, attempt: _attempt, payload: _payload, ...runLevel } = stored;
    expect(Object.keys(parseOutboxEvent("run-1", 1, { ...runLevel, type: "RUN_CREATED" }).event).sort()).toEqual(["correlationId", "occurredAt", "runId", "sequence", "type"]);
  });

  it("rejects a row that is not an outbox event, naming it", () => {
    for (const json of [null, "text", {}, { ...stored, workflowId: undefined }, { ...stored, occurredAt: 5 }]) {
      expect(() => parseOutboxEvent("run-1", 3, json)).toThrow("outbox event run-1#3 is not a WorkflowEvent draft");
    }
  });
});

describe("OutboxEventSink", () => {
  it("wakes the relay for committed events (they are already in the outbox), not for none", async () => {
    let wakes = 0;
    const sink = new OutboxEventSink({ wake: () => void wakes++ });
    const event: RunEvent = { runId: "r", sequence: 1, type: "RUN_CREATED", correlationId: "c", occurredAt: new Date() };
    await sink.publish([], { workflowId: "w", workflowVersion: "1" });
    expect(wakes).toBe(0);
    await sink.publish([event], { workflowId: "w", workflowVersion: "1" });
    expect(wakes).toBe(1);
  });
});
