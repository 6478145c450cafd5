import { randomUUID } from "node:crypto";
import { createProducer, createSchemaRegistry, decodeConfluentAvro, KafkaSendError, silentLogger, type Producer } from "@taskflow/kafka";
import type { RunEvent, RunEventDraft } from "@taskflow/workflow";
import type { KafkaMessage } from "kafkajs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { services } from "../../../../tests/support/services.ts";
import { brokers, collectRecords, createTestTopics, deleteTestTopics, waitFor } from "../kafka/integration-test-support.ts";
import { WorkflowEventPublisher, type WorkflowEventRecord } from "../kafka/workflow-event-publisher.ts";
import { workflowEventId, workflowEventSchema } from "../kafka/workflow-messages.ts";
import { createTestSchema, type TestSchema } from "./integration-test-support.ts";
import { OutboxRelay, type OutboxPublisher, type OutboxRelayOptions } from "./outbox-relay.ts";
import { PostgresRunStateStore } from "./postgres-run-state-store.ts";

/**
 * The relay against real PostgreSQL (a throwaway schema) and a real Kafka topic of its own,
 * through the real WorkflowEventPublisher: every committed event reaches the topic once, in
 * each run's sequence order, whatever Kafka did meanwhile.
 */
const registry = createSchemaRegistry({ url: services.registryUrl });
let db: TestSchema;
let store: PostgresRunStateStore;
let producer: Producer;
const relays: OutboxRelay[] = [];
const topics: string[] = [];

beforeAll(async () => {
  db = await createTestSchema("relay");
  store = new PostgresRunStateStore(db.pool);
  producer = await createProducer({ clientId: "outbox-relay-it", brokers, logger: silentLogger });
});

afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.stop()));
});

afterAll(async () => {
  await producer?.disconnect();
  await db?.drop();
  if (topics.length > 0) await deleteTestTopics(topics);
});

async function newTopic(): Promise<{ topic: string; publisher: WorkflowEventPublisher; records: KafkaMessage[]; stop: () => Promise<void> }> {
  const [topic] = await createTestTopics({ prefix: "outbox", partitions: 3 });
  topics.push(topic!);
  const publisher = await WorkflowEventPublisher.create({ producer, registry, topic, transport: "rabbitmq" });
  const collector = await collectRecords(topic!);
  return { topic: topic!, publisher, ...collector };
}

function newRelay(options: Partial<OutboxRelayOptions> & Pick<OutboxRelayOptions, "publisher">): OutboxRelay {
  const relay = new OutboxRelay({ pool: db.newPool(3), pollIntervalMs: 200, backoff: { initialMs: 50, maxMs: 400 }, logger: silentLogger, ...options });
  relays.push(relay);
  relay.start();
  return relay;
}

/** Creates a run and commits `count` events in commits of two; returns the committed events. */
async function runWithEvents(count: number): Promise<RunEvent[]> {
  const runId = `run-${randomUUID()}`;
  await store.createRun({ runId, blueprintId: "employee-onboarding", blueprintVersion: "1.0.0", input: { employee: "e-1" }, correlationId: `corr-${runId}` });
  const committed: RunEvent[] = [];
  for (let i = 0; i < count; i += 2) {
    const drafts: RunEventDraft[] = Array.from({ length: Math.min(2, count - i) }, (_, j) => ({
      runId,
      type: i + j === 0 ? "RUN_CREATED" : "NODE_COMPLETED",
      nodeId: i + j === 0 ? undefined : `node-${i + j}`,
      attempt: i + j === 0 ? undefined : 1,
      correlationId: `corr-${runId}`,
      occurredAt: new Date(),
      payload: { step: i + j },
    }));
    const events = await store.commit({ runId, fencingToken: 1, expectedLastSequence: i, events: drafts });
    committed.push(...events!);
  }
  return committed;
}

function decode(records: readonly KafkaMessage[]): WorkflowEventRecord[] {
  return records.map((record) => decodeConfluentAvro<WorkflowEventRecord>(record.value!, workflowEventSchema().type));
}

async function unpublishedCount(): Promise<number> {
  const { rows } = await db.pool.query<{ count: number }>("SELECT count(*)::int AS count FROM workflow_event_outbox WHERE published_at IS NULL");
  return rows[0]!.count;
}

/** Every event exactly once on the topic, each run's in sequence order, as the Kafka transport's records but for `transport`. */
function expectPublishedOnce(records: readonly KafkaMessage[], events: readonly RunEvent[]): void {
  const decoded = decode(records);
  expect(decoded.map((r) => r.eventId).sort()).toEqual(events.map((e) => workflowEventId(e.runId, e.sequence)).sort());
  for (const runId of new Set(events.map((e) => e.runId))) {
    const ofRun = records.filter((r) => r.key?.toString() === runId);
    expect(decode(ofRun).map((r) => Number(r.seq))).toEqual(events.filter((e) => e.runId === runId).map((e) => e.sequence));
  }
  const byId = new Map(events.map((e) => [workflowEventId(e.runId, e.sequence), e]));
  for (const record of decoded) {
    const event = byId.get(record.eventId)!;
    expect(record).toMatchObject({
      runId: event.runId,
      workflowId: "employee-onboarding",
      workflowVersion: "1.0.0",
      type: event.type,
      nodeId: event.nodeId ?? null,
      attempt: event.attempt ?? null,
      actor: "system:worker",
      correlationId: event.correlationId,
      transport: "rabbitmq",
    });
    expect(JSON.parse(record.payload)).toEqual(event.payload);
    expect(new Date(record.time).getTime()).toBe(event.occurredAt.getTime());
  }
}

describe("OutboxRelay", () => {
  it("publishes each outbox event once, in each run's order, with one leader among two relays", async () => {
    const { publisher, records, stop } = await newTopic();
    try {
      const events = [...(await runWithEvents(5)), ...(await runWithEvents(3)), ...(await runWithEvents(6))];
      const [a, b] = [newRelay({ publisher }), newRelay({ publisher })];
      a.wake();
      b.wake();
      await waitFor("14 records on the topic", () => records.length >= events.length);
      await waitFor("every outbox row marked published", () => a.stats.published + b.stats.published === events.length);
      expect(await unpublishedCount()).toBe(0);
      expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
      // Later commits go out too, and nothing twice.
      const more = await runWithEvents(4);
      await waitFor("18 records on the topic", () => records.length >= events.length + more.length);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expectPublishedOnce(records, [...events, ...more]);
    } finally {
      await stop();
    }
  });

  it("survives Kafka being unreachable: nothing is marked published until the broker acknowledges, then all goes out once", async () => {
    const { topic, publisher, records, stop } = await newTopic();
    try {
      const events = [...(await runWithEvents(4)), ...(await runWithEvents(3))];
      let kafkaUp = false;
      let attempts = 0;
      const relay = newRelay({
        // First a producer pointed at a dead port (as when Kafka is down at start-up), later the real broker.
        publisher: async () => {
          attempts++;
          if (kafkaUp) return publisher;
          const dead = await createProducer({
            clientId: "outbox-relay-it-dead",
            brokers: ["127.0.0.1:1"],
            logger: silentLogger,
            client: { connectionTimeout: 200, retry: { retries: 0 } },
          });
          return WorkflowEventPublisher.create({ producer: dead, registry, topic, transport: "rabbitmq" });
        },
      });
      relay.wake();
      await waitFor("three failed attempts to reach Kafka", () => attempts >= 3, 20_000);
      expect(relay.stats.failedPasses).toBeGreaterThanOrEqual(2);
      expect(relay.stats.published).toBe(0);
      expect(await unpublishedCount()).toBe(events.length);
      expect(records).toHaveLength(0);

      kafkaUp = true;
      await waitFor("every event on the topic", () => records.length >= events.length, 20_000);
      await waitFor("every outbox row marked published", () => relay.stats.published === events.length);
      expect(await unpublishedCount()).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expectPublishedOnce(records, events);
    } finally {
      await stop();
    }
  });

  it("a failed send marks nothing of its run and retries it in order, while other runs go out", async () => {
    const { publisher, records, stop } = await newTopic();
    try {
      const [blocked, other] = [await runWithEvents(4), await runWithEvents(3)];
      const blockedRun = blocked[0]!.runId;
      let failing = true;
      const flaky: OutboxPublisher = {
        async publish(events, context) {
          if (failing && events.some((e) => e.runId === blockedRun)) throw new KafkaSendError("broker unavailable (simulated)", { retriable: true });
          await publisher.publish(events, context);
        },
      };
      const relay = newRelay({ publisher: flaky });
      relay.wake();
      await waitFor("the other run's events on the topic", () => records.length >= other.length);
      await waitFor("a few failed passes", () => relay.stats.failedPasses >= 2);
      const { rows } = await db.pool.query<{ count: number }>("SELECT count(*)::int AS count FROM workflow_event_outbox WHERE run_id = $1 AND published_at IS NOT NULL", [blockedRun]);
      expect(rows[0]!.count).toBe(0);

      failing = false;
      await waitFor("every event on the topic", () => records.length >= blocked.length + other.length);
      await waitFor("every outbox row marked published", () => relay.stats.published === blocked.length + other.length);
      expectPublishedOnce(records, [...blocked, ...other]);
    } finally {
      await stop();
    }
  });

  it("publishes another process's commits at once (LISTEN/NOTIFY), and stop() drains and hands the lock over", async () => {
    const { publisher, records, stop } = await newTopic();
    try {
      // A poll interval far beyond the test: only the commit's NOTIFY can wake the leader.
      const relay = newRelay({ publisher, pollIntervalMs: 60_000 });
      await waitFor("the relay to lead", () => relay.isLeader);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      const events = await runWithEvents(3);
      await waitFor("the events on the topic", () => records.length >= events.length, 5_000);
      expect(Date.now() - started).toBeLessThan(3_000);

      // Committed just before stop(): drained by it.
      const late = await runWithEvents(2);
      await relay.stop();
      expect(await unpublishedCount()).toBe(0);
      expect(relay.isLeader).toBe(false);
      const successor = newRelay({ publisher });
      await waitFor("the successor to lead", () => successor.isLeader);
      await waitFor("all records", () => records.length >= events.length + late.length);
      expectPublishedOnce(records, [...events, ...late]);
    } finally {
      await stop();
    }
  });

  it("a leader whose connection dies loses the lock; one leader is elected again and publishes what is left", async () => {
    const { publisher, records, stop } = await newTopic();
    try {
      const first = newRelay({ publisher, lockName: "it:failover" });
      await waitFor("the first relay to lead", () => first.isLeader);
      const second = newRelay({ publisher, lockName: "it:failover" });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(second.isLeader).toBe(false);

      const { rows } = await db.pool.query<{ pid: number }>(
        `SELECT l.pid FROM pg_locks l
         WHERE l.locktype = 'advisory' AND l.granted
           AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1 || ':it:failover', 0)`,
        [db.schema],
      );
      expect(rows).toHaveLength(1);
      await db.pool.query("SELECT pg_terminate_backend($1)", [rows[0]!.pid]);

      const events = await runWithEvents(4);
      await waitFor("the events on the topic", () => records.length >= events.length, 10_000);
      expect([first.isLeader, second.isLeader].filter(Boolean)).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expectPublishedOnce(records, events);
      expect(await unpublishedCount()).toBe(0);
    } finally {
      await stop();
    }
  });
});
