import { randomUUID } from "node:crypto";
import { createProducer, createSchemaRegistry, silentLogger, type Producer } from "@taskflow/kafka";
import { WorkflowEngine, createReconciler, type RunEvent } from "@taskflow/workflow";
import { ControlPublisher, DEAD_LETTER_HEADERS, RedisCoordinationStore, runIdFor } from "@taskflow/workflow-adapters";
import { Redis } from "ioredis";
import type { KafkaMessage } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { services, testKafka } from "../../../tests/support/services.ts";
import { EXAMPLE_BLUEPRINT_IDS, loadExampleBlueprint, workerRegistry } from "./nodes/index.ts";
import { startWorker, type Worker } from "./worker.ts";

/**
 * The control plane on the real stack: lifecycle events and workflow commands consumed
 * by a worker (own topics with the catalog's schema subjects, own groups and Redis
 * prefix), and the reconciler resuming a stalled run. Runs that must sit still are
 * created by a second engine over the same stores whose jobs go nowhere.
 */
const kafka = testKafka("worker-control-it");
const suffix = randomUUID().slice(0, 8);
const topics = {
  jobs: `it-control-jobs-${suffix}`,
  jobsDlq: `it-control-jobs-dlq-${suffix}`,
  events: `it-control-events-${suffix}`,
  lifecycle: `it-control-lifecycle-${suffix}`,
  lifecycleDlq: `it-control-lifecycle-dlq-${suffix}`,
  commands: `it-control-commands-${suffix}`,
  commandsDlq: `it-control-commands-dlq-${suffix}`,
};
const redisKeyPrefix = `it:control:${suffix}:`;
const eventsByRun = new Map<string, RunEvent[]>();
let worker: Worker;
let producer: Producer;
let publisher: ControlPublisher;
let redis: Redis;
/** Creates runs (RUN_CREATED, start nodes scheduled) whose jobs are never published. */
let stillEngine: WorkflowEngine;
let coordination: RedisCoordinationStore;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const statusOf = async (runId: string) => (await worker.store.readRun(runId))?.status;
const waitForStatus = (runId: string, status: string) => waitFor(`run ${runId} ${status}`, async () => ((await statusOf(runId)) === status ? true : undefined));
const eventTypes = (runId: string) => (eventsByRun.get(runId) ?? []).map((e) => (e.nodeId ? `${e.type}:${e.nodeId}` : e.type));

async function startStillRun(blueprintId: (typeof EXAMPLE_BLUEPRINT_IDS)[number], input: unknown): Promise<string> {
  const runId = `it-control-${randomUUID()}`;
  await stillEngine.startRun({ blueprint: loadExampleBlueprint(blueprintId), input, correlationId: `corr-${runId}`, runId });
  return runId;
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: Object.values(topics).map((topic) => ({ topic, numPartitions: topic.includes("dlq") ? 1 : 3, replicationFactor: 1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  worker = await startWorker({
    workerId: `it-control-${suffix}`,
    brokers: [...services.kafkaBrokers],
    registryUrl: services.registryUrl,
    cassandra: { ...services.cassandra, contactPoints: [...services.cassandra.contactPoints] },
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    redisKeyPrefix,
    groupId: `it-control-${suffix}`,
    concurrency: 3,
    jobsTopic: topics.jobs,
    deadLetterTopic: topics.jobsDlq,
    eventsTopic: topics.events,
    logger: silentLogger,
    onEvents: (events) => {
      for (const event of events) eventsByRun.set(event.runId, [...(eventsByRun.get(event.runId) ?? []), event]);
    },
    control: {
      lifecycleTopic: topics.lifecycle,
      lifecycleDeadLetterTopic: topics.lifecycleDlq,
      commandsTopic: topics.commands,
      commandsDeadLetterTopic: topics.commandsDlq,
    },
    http: { host: "127.0.0.1", port: 0 },
    // NOTE: a day's threshold: the periodic passes run but never touch other tests' runs.
    reconcile: { stalledThresholdSeconds: 86_400, intervalMs: 300 },
  });
  producer = await createProducer({ clientId: `it-control-${suffix}`, brokers: [...services.kafkaBrokers], logger: silentLogger });
  publisher = await ControlPublisher.create({
    producer,
    registry: createSchemaRegistry({ url: services.registryUrl, clientId: `it-control-${suffix}` }),
    lifecycleTopic: topics.lifecycle,
    commandsTopic: topics.commands,
  });
  redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { lazyConnect: true });
  await redis.connect();
  coordination = new RedisCoordinationStore(redis, { keyPrefix: redisKeyPrefix });
  stillEngine = new WorkflowEngine({
    registry: workerRegistry(worker.store),
    store: worker.store,
    coordination,
    jobs: { publish: async () => undefined },
    events: { publish: async () => undefined },
    blueprints: EXAMPLE_BLUEPRINT_IDS.map(loadExampleBlueprint),
  });
});

afterAll(async () => {
  await worker?.stop();
  await producer?.disconnect();
  await redis?.quit();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin.disconnect();
});

describe("worker control consumers and reconciler (real Kafka, Cassandra, Redis)", () => {
  it("starts one onboarding run for an employee.onboard event published twice", async () => {
    const eventId = randomUUID();
    const correlationId = `corr-${eventId}`;
    const event = { eventId, type: "employee.onboard" as const, orgId: "org-1", employeeId: `e-${suffix}`, data: { name: "Ada" }, correlationId };
    await publisher.publishLifecycleEvent(event);
    await publisher.publishLifecycleEvent(event);

    const runId = runIdFor("lifecycle", eventId);
    await waitForStatus(runId, "completed");
    expect(await worker.store.countEffects(runId)).toBe(5);
    await waitFor("RUN_COMPLETED published", () => (eventTypes(runId).includes("RUN_COMPLETED") ? true : undefined));
    expect(eventTypes(runId).filter((t) => t === "RUN_CREATED")).toHaveLength(1);
    expect(new Set(eventsByRun.get(runId)?.map((e) => e.correlationId))).toEqual(new Set([correlationId]));
  });

  it("pauses and resumes a running run via commands", async () => {
    const runId = await startStillRun("content-moderation", { action: "approve" });
    await publisher.publishCommand({ type: "run.pause", runId, reason: "maintenance", actor: "ops@example.com" });
    await waitForStatus(runId, "paused");
    await publisher.publishCommand({ type: "run.resume", runId, actor: "ops@example.com" });
    await waitForStatus(runId, "completed");
    const types = eventTypes(runId);
    expect(types.slice(0, 2)).toEqual(["RUN_PAUSED", "RUN_RESUMED"]);
    expect(types.filter((t) => t === "NODE_COMPLETED:approve")).toHaveLength(1);
    expect(types).not.toContain("NODE_STARTED:reject");
  });

  it("cancels a run with its reason, after which no node runs", async () => {
    const runId = await startStillRun("employee-onboarding", { employeeId: "cancelled" });
    await publisher.publishCommand({ type: "run.cancel", runId, reason: "offer withdrawn", actor: "hr@example.com" });
    await waitForStatus(runId, "cancelled");
    const cancelled = (eventsByRun.get(runId) ?? []).find((e) => e.type === "RUN_CANCELLED");
    expect(cancelled?.payload).toEqual({ reason: "offer withdrawn" });

    // The start job arriving late is dropped: nothing runs.
    const skipped = () => Number(worker.metrics.render().match(/outcome="skipped-inactive"} (\d+)/)?.[1] ?? 0);
    const before = skipped();
    await worker.publishJobs([{ runId, nodeId: "provision-identity", attempt: 1, fencingToken: 0, correlationId: `corr-${runId}`, input: {} }]);
    await waitFor("the late job dropped", () => (skipped() > before ? true : undefined));
    expect(await worker.store.countEffects(runId)).toBe(0);
    expect(eventTypes(runId).some((t) => t.startsWith("NODE_STARTED"))).toBe(false);
  });

  it("dead-letters a garbage command and still applies the next one", async () => {
    const deadLetters: KafkaMessage[] = [];
    const collector = kafka.consumer({ groupId: `it-control-dlq-${randomUUID()}`, maxWaitTimeInMs: 200 });
    await collector.connect();
    await collector.subscribe({ topic: topics.commandsDlq, fromBeginning: true });
    await collector.run({ eachMessage: async ({ message }) => void deadLetters.push(message) });
    try {
      await producer.send({ topic: topics.commands, messages: [{ key: "garbage", value: Buffer.from("not an avro record") }] });
      // Also a well-formed record that fails validation: a run.request without a workflow id.
      await publisher.publishCommand({ type: "run.request", runId: "it-garbage", actor: "system:it" });
      const { runId } = await publisher.publishCommand({ type: "run.request", workflowId: "content-moderation", input: { action: "reject" }, actor: "system:it" });
      await waitFor("garbage commands dead-lettered", () => (deadLetters.length >= 2 ? true : undefined));
      const reasons = deadLetters.map((m) => m.headers?.[DEAD_LETTER_HEADERS.reason]?.toString()).sort();
      expect(reasons).toEqual(["invalid", "undecodable"]);
      expect(new Set(deadLetters.map((m) => m.headers?.[DEAD_LETTER_HEADERS.sourceTopic]?.toString()))).toEqual(new Set([topics.commands]));
      await waitForStatus(runId, "completed");
      // An unknown run id is logged and committed; the command after it still applies.
      await publisher.publishCommand({ type: "run.pause", runId: `it-unknown-${randomUUID()}`, actor: "system:it" });
      const after = await startStillRun("content-moderation", { action: "approve" });
      await publisher.publishCommand({ type: "run.cancel", runId: after, reason: "cleanup", actor: "system:it" });
      await waitForStatus(after, "cancelled");
      expect(deadLetters).toHaveLength(2);
    } finally {
      await collector.disconnect();
    }
  });

  it("completes a stalled run after a reconciliation pass", async () => {
    const runId = await startStillRun("employee-onboarding", { employeeId: "stalled" });
    // NOTE: only this test's run: the keyspace is shared with other tests' runs.
    const reconciler = createReconciler({
      engine: worker.engine,
      store: { findStalledRuns: async (seconds) => (await worker.store.findStalledRuns(seconds, 10_000)).filter((r) => r.runId === runId) },
      coordination,
      stalledThresholdSeconds: 1,
    });
    const stats = await waitFor("the run to look stalled", async () => {
      const pass = await reconciler.run();
      return pass.stalledRuns > 0 ? pass : undefined;
    });
    expect(stats.stalledRuns).toBeGreaterThanOrEqual(1);
    expect(stats.reconciledRuns).toBeGreaterThanOrEqual(1);
    await waitForStatus(runId, "completed");
    expect(await worker.store.countEffects(runId)).toBe(5);
    expect(eventTypes(runId).filter((t) => t === "NODE_COMPLETED:provision-identity")).toHaveLength(1);
  });

  it("reports the control consumers and the reconciler in /health and /metrics", async () => {
    const health = await fetch(`http://127.0.0.1:${worker.httpPort}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      healthy: true,
      checks: { consumer: true, cassandra: true, redis: true, lifecycleConsumer: true, commandConsumer: true, reconciler: true },
    });
    const metrics = await waitFor("a periodic reconciliation pass and handled commands in /metrics", async () => {
      const text = await (await fetch(`http://127.0.0.1:${worker.httpPort}/metrics`)).text();
      return /taskflow_worker_reconciliation_passes_total\{result="ok"\} [1-9]/.test(text) ? text : undefined;
    });
    // Earlier tests in this file sent lifecycle events and commands through this worker.
    expect(metrics).toMatch(/taskflow_worker_control_messages_total\{kind="lifecycle",outcome="started"\} [1-9]/);
    expect(metrics).toMatch(/taskflow_worker_control_messages_total\{kind="command",outcome="applied"\} [1-9]/);
  });
});
