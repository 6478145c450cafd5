/**
 * What the conformance proofs (apps/worker/src/conformance-*.integration.test.ts) need
 * beside transport-harness.ts: the test's own clients on a harness's transport (run store,
 * job publisher, event sink), engines that start runs or let them stall, the WorkflowEvents
 * the workers published, the shared "completed exactly once" check, and stopping and
 * starting the stack's Kafka.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { connectCassandra } from "@taskflow/cassandra";
import { loadAvroSchema, topicByKey } from "@taskflow/events";
import { createProducer, createSchemaRegistry, decodeConfluentAvro, silentLogger } from "@taskflow/kafka";
import { WorkflowEngine, type EventSink, type NodeJob } from "@taskflow/workflow";
import {
  CassandraRunStateStore,
  KafkaJobQueue,
  PostgresRunStateStore,
  RabbitMqJobQueue,
  RedisCoordinationStore,
  WorkflowEventPublisher,
  workflowEventId,
  type WorkflowEventRecord,
} from "@taskflow/workflow-adapters";
import type { Redis } from "ioredis";
import type { Consumer } from "kafkajs";
import pg from "pg";
import { expect } from "vitest";
import { services, testKafka } from "../../../../tests/support/services.ts";
import { isListening as isListeningAt } from "../../../../tests/support/tcp.ts";
import { EXAMPLE_BLUEPRINT_IDS, loadExampleBlueprint, workerRegistry } from "../nodes/index.ts";
import type { WorkerRunStore } from "../runtime/workflow-runtime.ts";
import type { TransportHarness } from "./transport-harness.ts";
import { waitFor } from "./proof-support.ts";

import { ONBOARDING_EFFECTS, ONBOARDING_EVENT_COUNT, ONBOARDING_NODES } from "./onboarding-assertions.ts";

export { ONBOARDING_EFFECTS, ONBOARDING_NODES };
/** Events of a completed onboarding run: RUN_CREATED, 6 × scheduled/started/completed, RUN_COMPLETED. */
export const ONBOARDING_EVENTS = ONBOARDING_EVENT_COUNT;

/**
 * The test's own clients on the harness's transport, as a worker of it has them: the run
 * store (Cassandra, or PostgreSQL on the test's schema), a job publisher (the test's topic
 * or queue; it never consumes) and the event sink (the test's events topic; on RabbitMQ the
 * commit's outbox rows are the events, the workers' relay publishes them).
 */
export interface TransportClients {
  store: WorkerRunStore;
  jobs: { publish(jobs: readonly NodeJob[], options?: { delayMs?: number }): Promise<void> };
  events: EventSink;
  /** The RabbitMQ transport's pool on the test's schema (for the tests' own SQL); absent on Kafka. */
  pool?: pg.Pool;
  close(): Promise<void>;
}

export async function transportClients(harness: TransportHarness): Promise<TransportClients> {
  const config = harness.workerConfig(`clients-${randomUUID().slice(0, 8)}`);
  const clientId = `it-${config.workerId}`;
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    if (config.transport?.kind === "rabbitmq") {
      const pool = new pg.Pool({ connectionString: config.transport.databaseUrl, max: 5 });
      pool.on("error", () => undefined);
      closers.push(() => pool.end());
      const queue = await RabbitMqJobQueue.create({
        url: config.transport.rabbitmqUrl,
        clientId,
        queue: config.transport.jobsQueue,
        logger: silentLogger,
        onConnectionLost: () => undefined,
      });
      closers.push(() => queue.stop());
      return { store: new PostgresRunStateStore(pool), jobs: queue, events: { publish: async () => undefined }, pool, close };
    }
    const client = await connectCassandra(config.cassandra);
    closers.push(() => client.shutdown());
    const registry = createSchemaRegistry({ url: config.registryUrl, clientId });
    const producer = await createProducer({ clientId, brokers: config.brokers, logger: silentLogger });
    closers.push(() => producer.disconnect());
    const queue = await KafkaJobQueue.create({
      brokers: config.brokers,
      clientId,
      groupId: `${config.groupId}-publisher-only`,
      registry,
      producer,
      topic: config.jobsTopic,
      deadLetterTopic: config.deadLetterTopic,
      logger: silentLogger,
    });
    closers.push(() => queue.stop());
    const publisher = await WorkflowEventPublisher.create({ producer, registry, topic: config.eventsTopic, transport: "kafka" });
    return { store: new CassandraRunStateStore(client), jobs: queue, events: { publish: (events, context) => publisher.publish(events, context) }, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * An engine on the test's clients and the harness's Redis prefix, outside any worker.
 * `jobs: "publish"` starts runs for the workers; `jobs: "lose"` keeps the jobs it would
 * publish in `lost` instead — a worker that died right after committing its step, so its
 * runs stall until a reconciler resumes them.
 */
export function testEngine(clients: TransportClients, redis: Redis, harness: TransportHarness, jobs: "publish" | "lose"): { engine: WorkflowEngine; lost: NodeJob[] } {
  const lost: NodeJob[] = [];
  const engine = new WorkflowEngine({
    registry: workerRegistry(clients.store),
    store: clients.store,
    coordination: new RedisCoordinationStore(redis, { keyPrefix: harness.names.redisKeyPrefix }),
    jobs: jobs === "publish" ? clients.jobs : { publish: async (published) => void lost.push(...published) },
    events: clients.events,
    blueprints: EXAMPLE_BLUEPRINT_IDS.map(loadExampleBlueprint),
  });
  return { engine, lost };
}

/** Starts `count` onboarding runs on `engine`; returns their ids. */
export async function startOnboardingRuns(engine: WorkflowEngine, prefix: string, count: number): Promise<string[]> {
  const runIds = Array.from({ length: count }, () => `${prefix}-${randomUUID()}`);
  for (const runId of runIds) {
    await engine.startRun({ blueprint: loadExampleBlueprint("employee-onboarding"), input: { employeeId: runId }, correlationId: `corr-${runId}`, runId });
  }
  return runIds;
}

/** Waits until every run is `completed`; fails at once if one failed or was cancelled. */
export async function waitUntilCompleted(store: Pick<WorkerRunStore, "readRun">, runIds: readonly string[], timeoutMs: number): Promise<void> {
  await waitFor(
    `${runIds.length} runs completed`,
    async () => {
      const runs = await Promise.all(runIds.map((runId) => store.readRun(runId)));
      const ended = runs.find((run) => run?.status === "failed" || run?.status === "cancelled");
      if (ended) throw new Error(`run ${ended.runId} ended ${ended.status}`);
      return runs.every((run) => run?.status === "completed") ? true : undefined;
    },
    timeoutMs,
  );
}

/**
 * Every WorkflowEvent published to `topic` (from `offsets` per partition, or its beginning),
 * decoded with the catalog's schema, by run. Both transports' events end up there: the
 * Kafka transport publishes after each commit, the RabbitMQ transport's relay from the outbox.
 */
export class WorkflowEventCollector {
  private readonly byRun = new Map<string, WorkflowEventRecord[]>();
  private readonly type = loadAvroSchema(topicByKey("workflowEvents").valueSchema!).type;
  /** Records that did not decode (none expected). */
  readonly undecodable: string[] = [];

  private constructor(private readonly consumer: Consumer) {}

  static async start(topic: string, offsets?: { partition: number; offset: string }[]): Promise<WorkflowEventCollector> {
    const consumer = testKafka(`it-events-${randomUUID().slice(0, 8)}`).consumer({ groupId: `it-events-collector-${randomUUID()}`, maxWaitTimeInMs: 200 });
    const collector = new WorkflowEventCollector(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: offsets === undefined });
    await consumer.run({
      eachMessage: async ({ message }) => {
        try {
          const record = decodeConfluentAvro<WorkflowEventRecord>(message.value!, collector.type);
          collector.byRun.set(record.runId, [...(collector.byRun.get(record.runId) ?? []), record]);
        } catch (error) {
          collector.undecodable.push(String(error));
        }
      },
    });
    for (const { partition, offset } of offsets ?? []) consumer.seek({ topic, partition, offset });
    return collector;
  }

  /** The run's records as received (duplicates included), by sequence. */
  of(runId: string): WorkflowEventRecord[] {
    return [...(this.byRun.get(runId) ?? [])].sort((a, b) => a.seq - b.seq);
  }

  /** Waits until the run's RUN_COMPLETED arrived. */
  async completed(runId: string, timeoutMs = 30_000): Promise<WorkflowEventRecord[]> {
    return waitFor(`RUN_COMPLETED of ${runId} published`, () => (this.of(runId).some((e) => e.type === "RUN_COMPLETED") ? this.of(runId) : undefined), timeoutMs);
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

/** The high-water offset of each partition of `topic` (where a collector of what comes next starts). */
export async function topicEndOffsets(topic: string): Promise<{ partition: number; offset: string }[]> {
  const admin = testKafka(`it-offsets-${randomUUID().slice(0, 8)}`).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => ({ partition, offset: high }));
  } finally {
    await admin.disconnect();
  }
}

/**
 * A completed onboarding run, exactly once: 5 effects, each node's result once, and its
 * published events gap-free: seq 1..the run's last sequence, each seq one event (a
 * re-publish carries the same event id and type), RUN_CREATED first, RUN_COMPLETED last,
 * every node started and completed once, with the run's transport. A run the reconciler
 * resumed has more than 20: its re-enqueued nodes were scheduled again (NODE_SCHEDULED of
 * the same attempt), nothing else. Returns how many records were re-published duplicates
 * and how many NODE_SCHEDULED were repeated.
 */
export async function expectCompletedOnce(
  store: WorkerRunStore,
  events: WorkflowEventCollector,
  runId: string,
  transport: string,
): Promise<{ duplicates: number; rescheduled: number }> {
  expect(await store.countEffects(runId), `effects of ${runId}`).toBe(ONBOARDING_EFFECTS);
  const run = await store.readRun(runId);
  expect(run?.status, `status of ${runId}`).toBe("completed");
  const completed = run!.nodeResults.filter((r) => r.status === "completed").map((r) => r.nodeId);
  expect([...completed].sort(), `completed node results of ${runId}`).toEqual(ONBOARDING_NODES);
  expect(run!.nodeResults.filter((r) => r.status !== "completed"), `other node results of ${runId}`).toEqual([]);

  const received = await events.completed(runId);
  const bySeq = new Map<number, WorkflowEventRecord>();
  for (const record of received) {
    const first = bySeq.get(record.seq);
    if (first) expect({ eventId: record.eventId, type: record.type, nodeId: record.nodeId }, `re-published ${runId}#${record.seq}`).toEqual({ eventId: first.eventId, type: first.type, nodeId: first.nodeId });
    else bySeq.set(record.seq, record);
  }
  const ordered = [...bySeq.values()];
  expect(ordered.map((e) => e.seq), `event sequence of ${runId}`).toEqual(Array.from({ length: run!.lastSequence }, (_, i) => i + 1));
  expect(ordered.every((e) => e.eventId === workflowEventId(runId, e.seq) && e.transport === transport), `event ids and transport of ${runId}`).toBe(true);
  expect(ordered[0]?.type).toBe("RUN_CREATED");
  expect(ordered.at(-1)?.type).toBe("RUN_COMPLETED");
  const perNode = (type: string) => ordered.filter((e) => e.type === type).map((e) => e.nodeId).sort();
  expect(perNode("NODE_STARTED"), `NODE_STARTED of ${runId}`).toEqual(ONBOARDING_NODES);
  expect(perNode("NODE_COMPLETED"), `NODE_COMPLETED of ${runId}`).toEqual(ONBOARDING_NODES);
  expect([...new Set(perNode("NODE_SCHEDULED"))], `NODE_SCHEDULED of ${runId}`).toEqual(ONBOARDING_NODES);
  const rescheduled = perNode("NODE_SCHEDULED").length - ONBOARDING_NODES.length;
  expect(ordered.length, `events of ${runId}: 20 plus the re-enqueued nodes' NODE_SCHEDULED`).toBe(ONBOARDING_EVENTS + rescheduled);
  return { duplicates: received.length - ordered.length, rescheduled };
}

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const [brokerHost = "127.0.0.1", brokerPort = "9092"] = (services.kafkaBrokers[0] ?? "").trim().split(":");

/**
 * Stops the stack's Kafka (scripts/stack/down.sh kafka), as e2e/outbox.spec.ts does.
 * DESTRUCTIVE for everyone on the stack: call {@link startStackKafka} in a finally/afterAll.
 * @throws if the broker the tests use still answers (it is not the stack's: nothing tested).
 */
export async function stopStackKafka(): Promise<void> {
  await run("bash", [`${repoRoot}scripts/stack/down.sh`, "kafka"], { cwd: repoRoot, timeout: 120_000 });
  if (await isListening(brokerHost, Number(brokerPort))) throw new Error(`Kafka still answers on ${brokerHost}:${brokerPort} after down.sh kafka (not the stack's broker?)`);
}

/** Brings the stack back (scripts/stack/up.sh starts what is not running: Kafka) and waits until it answers. */
export async function startStackKafka(): Promise<void> {
  await run("bash", [`${repoRoot}scripts/stack/up.sh`], { cwd: repoRoot, timeout: 300_000 });
}

/** Whether the stack's Kafka (or something else on host:port) accepts TCP connections. */
export function isListening(host = brokerHost, port = Number(brokerPort)): Promise<boolean> {
  return isListeningAt(host, port);
}
