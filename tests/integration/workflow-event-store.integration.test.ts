import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type cassandra from "cassandra-driver";
import { loadAvroSchema, topicByKey, valueSubject } from "@taskflow/events";
import { createAvroValueEncoder, createProducer, createSchemaRegistry, resolveSchemaId, silentLogger, type Producer } from "@taskflow/kafka";
import { eventually, services, testCassandra } from "../support/services.ts";

/**
 * The workflow event store (issue #4): WorkflowEvents produced to the workflow-events
 * topic land, through Connect and our sink, in the table by run (ordered by seq) and the
 * table by day. Also checks that the worker's other contracts are registered.
 */
const topic = topicByKey("workflowEvents");
let producer: Producer;
let db: cassandra.Client;

beforeAll(async () => {
  producer = await createProducer({ clientId: "workflow-event-store-it", brokers: [...services.kafkaBrokers], logger: silentLogger });
  db = await testCassandra();
});

afterAll(async () => {
  await producer?.disconnect();
  await db?.shutdown();
});

interface WorkflowEvent {
  eventId: string;
  runId: string;
  workflowId: string;
  workflowVersion: string;
  seq: number;
  type: string;
  nodeId: string | null;
  attempt: number | null;
  payload: string;
  actor: string;
  correlationId: string;
  time: Date;
  transport: string;
}

function utcDay(time: Date): string {
  return time.toISOString().slice(0, 10);
}

describe("workflow events land in the event store", () => {
  it("writes one row per seq, in seq order, whatever the delivery order and duplicates", async () => {
    const registry = createSchemaRegistry({ url: services.registryUrl });
    const encoder = await createAvroValueEncoder(registry, valueSubject(topic.name), loadAvroSchema(topic.valueSchema!));
    const runId = `run-${randomUUID()}`;
    const correlationId = `corr-${randomUUID()}`;
    const base = Date.now();
    const spec: [type: string, nodeId: string | null, attempt: number | null, payload: string][] = [
      ["RUN_CREATED", null, null, JSON.stringify({ input: { employee: "e-1", note: "it's; <b>ok</b>" } })],
      ["NODE_SCHEDULED", "provision-identity", 1, "{}"],
      ["NODE_STARTED", "provision-identity", 1, "{}"],
      ["NODE_COMPLETED", "provision-identity", 1, JSON.stringify({ output: { account: "e-1@corp" } })],
      ["RUN_COMPLETED", null, null, "{}"],
    ];
    const events: WorkflowEvent[] = spec.map(([type, nodeId, attempt, payload], i) => ({
      eventId: randomUUID(),
      runId,
      workflowId: "employee-onboarding",
      workflowVersion: "1.0.0",
      seq: i + 1,
      type,
      nodeId,
      attempt,
      payload,
      actor: "system:worker",
      correlationId,
      time: new Date(base + i),
      transport: "kafka",
    }));
    // Out of order, with seq 3 delivered twice (a producer retry after a lost ack).
    const deliveries = [3, 1, 5, 3, 2, 4].map((seq) => events[seq - 1]!);
    // Keyed by run id: one partition, so Connect sees them in this order.
    await producer.send({ topic: topic.name, messages: deliveries.map((e) => ({ key: e.runId, value: encoder.encode(e) })) });

    const byRun = await eventually(
      "5 rows in taskflow.workflow_events_by_run",
      async () => {
        const result = await db.execute(
          "SELECT seq, event_id, workflow_id, workflow_version, type, node_id, attempt, payload, actor, correlation_id, time, transport FROM taskflow.workflow_events_by_run WHERE run_id = ?",
          [runId],
          { prepare: true },
        );
        return result.rowLength === 5 ? result.rows : undefined;
      },
      60_000,
    );
    expect(byRun.map((r) => Number(r.get("seq")))).toEqual([1, 2, 3, 4, 5]);
    expect(
      byRun.map((r) => ({
        eventId: r.get("event_id") as string,
        type: r.get("type") as string,
        nodeId: r.get("node_id") as string | null,
        attempt: r.get("attempt") as number | null,
        payload: r.get("payload") as string,
        time: (r.get("time") as Date).getTime(),
      })),
    ).toEqual(events.map((e) => ({ eventId: e.eventId, type: e.type, nodeId: e.nodeId, attempt: e.attempt, payload: e.payload, time: e.time.getTime() })));
    for (const row of byRun) {
      expect(row.get("workflow_id")).toBe("employee-onboarding");
      expect(row.get("workflow_version")).toBe("1.0.0");
      expect(row.get("actor")).toBe("system:worker");
      expect(row.get("correlation_id")).toBe(correlationId);
      expect(row.get("transport")).toBe("kafka");
    }
    expect(JSON.parse(byRun[0]!.get("payload") as string)).toEqual({ input: { employee: "e-1", note: "it's; <b>ok</b>" } });

    // The table by day: each event under its UTC day (the events may straddle midnight).
    for (const event of events) {
      const row = await eventually(`event ${event.seq} in taskflow.workflow_events_by_day`, async () => {
        const result = await db.execute(
          "SELECT run_id, seq, type, node_id, payload, correlation_id FROM taskflow.workflow_events_by_day WHERE day = ? AND time = ? AND event_id = ?",
          [utcDay(event.time), event.time, event.eventId],
          { prepare: true },
        );
        return result.first() ?? undefined;
      });
      expect({ runId: row.get("run_id"), seq: Number(row.get("seq")), type: row.get("type"), nodeId: row.get("node_id"), payload: row.get("payload") }).toEqual({
        runId,
        seq: event.seq,
        type: event.type,
        nodeId: event.nodeId,
        payload: event.payload,
      });
      expect(row.get("correlation_id")).toBe(correlationId);
    }
    // The day's slice over the events' time range holds this run's 5 events once each (no duplicate).
    const days = [...new Set(events.map((e) => utcDay(e.time)))];
    const ours: string[] = [];
    for (const day of days) {
      const result = await db.execute(
        "SELECT event_id, run_id FROM taskflow.workflow_events_by_day WHERE day = ? AND time >= ? AND time <= ?",
        [day, events[0]!.time, events[4]!.time],
        { prepare: true },
      );
      ours.push(...result.rows.filter((r) => r.get("run_id") === runId).map((r) => r.get("event_id") as string));
    }
    expect(ours.sort()).toEqual(events.map((e) => e.eventId).sort());
  });

  it("registers the worker's other schemas under <topic>-value with BACKWARD compatibility", async () => {
    const registry = createSchemaRegistry({ url: services.registryUrl });
    for (const key of ["workflowEvents", "lifecycle", "workflowCommands", "workflowJobs"]) {
      const spec = topicByKey(key);
      expect(spec.valueSchema, key).toBeDefined();
      expect(spec.deadLetter, key).toBe(`dlq.${spec.name}`);
      expect(() => topicByKey(`${key}DeadLetter`)).not.toThrow();
      const subject = valueSubject(spec.name);
      const latest = await fetch(`${services.registryUrl}/subjects/${encodeURIComponent(subject)}/versions/latest`);
      expect(latest.status, subject).toBe(200);
      const body = (await latest.json()) as { subject: string; id: number; schema: string };
      const schema = loadAvroSchema(spec.valueSchema!);
      expect(JSON.parse(body.schema)).toEqual(JSON.parse(schema.canonical));
      // The exact canonical text the apps encode with resolves to the registered id.
      expect(await resolveSchemaId(registry, subject, schema.canonical)).toBe(body.id);
      const config = await fetch(`${services.registryUrl}/config/${encodeURIComponent(subject)}`);
      expect(config.status, subject).toBe(200);
      const level = (await config.json()) as { compatibilityLevel?: string; compatibility?: string };
      expect(level.compatibilityLevel ?? level.compatibility).toBe("BACKWARD");
    }
  });
});
