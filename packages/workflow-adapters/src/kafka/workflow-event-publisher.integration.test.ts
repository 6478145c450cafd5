import { randomUUID } from "node:crypto";
import type cassandra from "cassandra-driver";
import { createProducer, createSchemaRegistry, silentLogger, type Producer } from "@taskflow/kafka";
import type { RunEvent } from "@taskflow/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, services, testCassandra } from "../../../../tests/support/services.ts";
import { brokers } from "./integration-test-support.ts";
import { WorkflowEventPublisher } from "./workflow-event-publisher.ts";
import { workflowEventId } from "./workflow-messages.ts";

/**
 * The publisher against the real `taskflow-workflow-events` topic: what it publishes
 * lands, through Connect, in `taskflow.workflow_events_by_run` in seq order, and a
 * re-publish rewrites the same rows (deterministic event ids).
 */
let producer: Producer;
let db: cassandra.Client;

beforeAll(async () => {
  producer = await createProducer({ clientId: "workflow-adapters-it", brokers, logger: silentLogger });
  db = await testCassandra();
});

afterAll(async () => {
  await producer?.disconnect();
  await db?.shutdown();
});

describe("WorkflowEventPublisher", () => {
  it("publishes run events that Connect stores by run, ordered by seq, idempotently", async () => {
    const publisher = await WorkflowEventPublisher.create({ producer, registry: createSchemaRegistry({ url: services.registryUrl }) });
    expect(publisher.topic).toBe("taskflow-workflow-events");
    const runId = `run-${randomUUID()}`;
    const base = Date.now();
    const drafts: Omit<RunEvent, "runId" | "correlationId" | "occurredAt" | "sequence">[] = [
      { type: "RUN_CREATED", payload: { input: { employee: "e-1" } } },
      { type: "NODE_SCHEDULED", nodeId: "provision-identity", attempt: 1 },
      { type: "NODE_COMPLETED", nodeId: "provision-identity", attempt: 1, payload: { output: { account: "e-1@corp" } } },
      { type: "RUN_COMPLETED" },
    ];
    const events: RunEvent[] = drafts.map((draft, i) => ({ ...draft, runId, correlationId: `corr-${runId}`, occurredAt: new Date(base + i), sequence: i + 1 }));
    const context = { workflowId: "employee-onboarding", workflowVersion: "1.0.0" };
    await publisher.publish(events, context);
    // A re-publish (e.g. after a crash before the caller noted the ack) must not add rows.
    await publisher.publish(events.slice(1, 3), context);

    const rows = await eventually(
      "4 rows in taskflow.workflow_events_by_run",
      async () => {
        const result = await db.execute(
          "SELECT seq, event_id, workflow_id, workflow_version, type, node_id, attempt, payload, actor, correlation_id, time, transport FROM taskflow.workflow_events_by_run WHERE run_id = ? ORDER BY seq ASC",
          [runId],
          { prepare: true },
        );
        return result.rowLength === 4 ? result.rows : undefined;
      },
      45_000,
    );
    expect(
      rows.map((r) => ({
        seq: Number(r.get("seq")),
        eventId: r.get("event_id") as string,
        type: r.get("type") as string,
        nodeId: r.get("node_id") as string | null,
        attempt: r.get("attempt") as number | null,
        payload: JSON.parse(r.get("payload") as string) as unknown,
        time: (r.get("time") as Date).getTime(),
      })),
    ).toEqual(
      events.map((e) => ({
        seq: e.sequence,
        eventId: workflowEventId(runId, e.sequence),
        type: e.type,
        nodeId: e.nodeId ?? null,
        attempt: e.attempt ?? null,
        payload: e.payload ?? {},
        time: e.occurredAt.getTime(),
      })),
    );
    for (const row of rows) {
      expect(row.get("workflow_id")).toBe("employee-onboarding");
      expect(row.get("workflow_version")).toBe("1.0.0");
      expect(row.get("actor")).toBe("system:worker");
      expect(row.get("correlation_id")).toBe(`corr-${runId}`);
      expect(row.get("transport")).toBe("kafka");
    }
  });
});
