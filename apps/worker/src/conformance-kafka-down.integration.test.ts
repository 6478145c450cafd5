import { randomUUID } from "node:crypto";
import { topicByKey } from "@taskflow/events";
import { workflowEventId } from "@taskflow/workflow-adapters";
import cassandra from "cassandra-driver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCassandra } from "../../../tests/support/services.ts";
import {
  ONBOARDING_EFFECTS,
  ONBOARDING_EVENTS,
  WorkflowEventCollector,
  isListening,
  startStackKafka,
  stopStackKafka,
  topicEndOffsets,
  transportClients,
  waitUntilCompleted,
  type TransportClients,
} from "./testing/conformance-support.ts";
import { waitFor } from "./testing/proof-support.ts";
import { transportHarness } from "./testing/transport-harness.ts";
import { startWorker, type Worker } from "./worker.ts";

/**
 * Issue #6 proof (RabbitMQ/PostgreSQL transport only): with Kafka down, runs on the
 * RabbitMQ transport still complete, and their events reach Cassandra once Kafka is back,
 * each exactly once. Jobs travel through RabbitMQ and state and events commit to
 * PostgreSQL (the outbox), so nothing a run needs is in Kafka; the outbox relay publishes
 * to the catalog's workflow-events topic when Kafka is back, and the stack's Connect sink
 * writes the Cassandra event store from there.
 *
 * DESTRUCTIVE: stops the stack's Kafka (scripts/stack/down.sh kafka) and brings it back
 * (scripts/stack/up.sh), also when the test fails, as e2e/outbox.spec.ts does. Anything else
 * using the stack's Kafka meanwhile sees it down for the outage (some 10-30 s).
 */
const harness = transportHarness("rabbitmq", "kafka-down");
/** The topic Connect sinks into taskflow.workflow_events_by_run (not a test topic). */
const EVENTS_TOPIC = topicByKey("workflowEvents").name;
const RUNS = 5;
/** Kafka back: the relay's backoff (<= 10 s), the producer's reconnect, Connect's recovery and its sink. */
const DRAIN_TIMEOUT_MS = 120_000;

let clients: TransportClients;
let cassandraClient: cassandra.Client;
let worker: Worker;
let eventsFrom: { partition: number; offset: string }[];
/** Set while this file has Kafka stopped: afterAll must bring it back. */
let kafkaStoppedByUs = false;

interface StoredEvent {
  seq: number;
  eventId: string;
  type: string;
  nodeId: string | null;
  transport: string;
  time: Date;
}

async function storedEvents(runId: string): Promise<StoredEvent[]> {
  const result = await cassandraClient.execute("SELECT seq, event_id, type, node_id, transport, time FROM taskflow.workflow_events_by_run WHERE run_id = ?", [runId], {
    prepare: true,
  });
  return result.rows.map((row) => ({
    seq: Number(row.get("seq")),
    eventId: row.get("event_id") as string,
    type: row.get("type") as string,
    nodeId: (row.get("node_id") as string | null) ?? null,
    transport: row.get("transport") as string,
    time: row.get("time") as Date,
  }));
}

async function outboxOf(runId: string): Promise<{ seq: number; type: string; node_id: string | null; published: boolean }[]> {
  const { rows } = await clients.pool!.query<{ seq: number; type: string; node_id: string | null; published: boolean }>(
    "SELECT seq::int AS seq, event->>'type' AS type, event->>'nodeId' AS node_id, published_at IS NOT NULL AS published FROM workflow_event_outbox WHERE run_id = $1 ORDER BY seq",
    [runId],
  );
  return rows;
}

beforeAll(async () => {
  expect(await isListening(), "the stack's Kafka must be up before this file").toBe(true);
  await harness.setUp();
  clients = await transportClients(harness);
  cassandraClient = await testCassandra();
  worker = await startWorker(harness.workerConfig(`it-kafka-down-${harness.names.suffix}`, { eventsTopic: EVENTS_TOPIC }));
  eventsFrom = await topicEndOffsets(EVENTS_TOPIC);
});

afterAll(async () => {
  // Leave the stack as we found it, whatever happened above; then stop clients (Kafka is back for them).
  if (kafkaStoppedByUs) await startStackKafka();
  await worker?.stop();
  await clients?.close();
  await cassandraClient?.shutdown();
  await harness.tearDown();
}, 300_000);

describe("issue #6 proof: Kafka down, RabbitMQ transport (RabbitMQ, PostgreSQL, then Kafka, Connect, Cassandra)", () => {
  it("completes runs while Kafka is down; their events reach Cassandra once it is back, each exactly once", async () => {
    // 1. Kafka down.
    kafkaStoppedByUs = true;
    const downAt = Date.now();
    await stopStackKafka();
    console.log(`Kafka stopped in ${Date.now() - downAt} ms`);

    // 2. Runs start and complete: RabbitMQ jobs, PostgreSQL state, events into the outbox.
    const startedAt = Date.now();
    const runIds = Array.from({ length: RUNS }, () => `it-kafka-down-${randomUUID()}`);
    for (const runId of runIds) await worker.startRun({ blueprintId: "employee-onboarding", input: { employeeId: runId }, correlationId: `corr-${runId}`, runId });
    await waitUntilCompleted(clients.store, runIds, 60_000);
    console.log(`${RUNS} runs completed with Kafka down in ${Date.now() - startedAt} ms`);
    for (const runId of runIds) {
      expect(await clients.store.countEffects(runId), `effects of ${runId}`).toBe(ONBOARDING_EFFECTS);
      const outbox = await outboxOf(runId);
      expect(outbox.map((e) => e.seq), `outbox of ${runId}`).toEqual(Array.from({ length: ONBOARDING_EVENTS }, (_, i) => i + 1));
      expect(outbox.filter((e) => e.published), `published rows of ${runId} while Kafka is down`).toEqual([]);
    }
    expect(await isListening(), "Kafka stayed down while the runs completed").toBe(false);

    // 3. Kafka back: the relay drains the outbox by itself; Connect recovers by itself.
    const upAt = Date.now();
    await startStackKafka();
    kafkaStoppedByUs = false;
    const upDoneAt = Date.now();
    await waitFor(
      "the outbox fully published",
      async () => ((await Promise.all(runIds.map(outboxOf))).flat().every((e) => e.published) ? true : undefined),
      DRAIN_TIMEOUT_MS,
    );
    const publishedAt = Date.now();
    const stored = new Map<string, StoredEvent[]>();
    await waitFor(
      `events of ${RUNS} runs in taskflow.workflow_events_by_run`,
      async () => {
        for (const runId of runIds) {
          if (stored.has(runId)) continue;
          const rows = await storedEvents(runId).catch(() => []);
          if (rows.length >= ONBOARDING_EVENTS && rows.some((row) => row.type === "RUN_COMPLETED")) stored.set(runId, rows);
        }
        return stored.size === runIds.length ? true : undefined;
      },
      DRAIN_TIMEOUT_MS,
    );
    console.log(
      `up.sh took ${upDoneAt - upAt} ms; after Kafka was back, the relay had published the outbox in ${publishedAt - upDoneAt} ms, Connect had written every event to Cassandra in ${Date.now() - upDoneAt} ms`,
    );

    // 4. Each event exactly once: seq 1..20 per run, as the outbox holds them, with transport rabbitmq ...
    for (const runId of runIds) {
      const rows = await storedEvents(runId);
      const outbox = await outboxOf(runId);
      expect(rows.map((row) => row.seq), `stored events of ${runId}`).toEqual(Array.from({ length: ONBOARDING_EVENTS }, (_, i) => i + 1));
      expect(rows.map((row) => `${row.type}:${row.nodeId ?? ""}`)).toEqual(outbox.map((e) => `${e.type}:${e.node_id ?? ""}`));
      expect(rows.every((row) => row.transport === "rabbitmq" && row.eventId === workflowEventId(runId, row.seq)), `transport and event ids of ${runId}`).toBe(true);
      // ... and once in the by-day store too (keyed by time and event id).
      for (const row of rows) {
        const byDay = await cassandraClient.execute(
          "SELECT event_id FROM taskflow.workflow_events_by_day WHERE day = ? AND time = ? AND event_id = ?",
          [cassandra.types.LocalDate.fromString(row.time.toISOString().slice(0, 10)), row.time, row.eventId],
          { prepare: true },
        );
        expect(byDay.rowLength, `workflow_events_by_day rows of ${runId}#${row.seq}`).toBe(1);
      }
    }

    // What went over the topic: every event once (the relay publishes each row once unless it crashes between ack and mark).
    const topic = await WorkflowEventCollector.start(EVENTS_TOPIC, eventsFrom);
    try {
      await waitFor("the runs' records on the events topic", () => (runIds.every((runId) => topic.of(runId).length >= ONBOARDING_EVENTS) ? true : undefined), 30_000);
      const counts = runIds.map((runId) => topic.of(runId).length);
      console.log(`records per run on ${EVENTS_TOPIC}: ${counts.join(", ")}`);
      for (const runId of runIds) expect(new Set(topic.of(runId).map((e) => e.seq)).size).toBe(ONBOARDING_EVENTS);
    } finally {
      await topic.stop();
    }
  }, 300_000);
});
