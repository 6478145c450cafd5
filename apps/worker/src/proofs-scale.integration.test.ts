import { randomUUID } from "node:crypto";
import { WorkflowEngine } from "@taskflow/workflow";
import { DEAD_LETTER_HEADERS, RedisCoordinationStore } from "@taskflow/workflow-adapters";
import { Redis } from "ioredis";
import { Partitioners, type KafkaMessage } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testKafka } from "../../../tests/support/services.ts";
import { EXAMPLE_BLUEPRINT_IDS, loadExampleBlueprint, workerRegistry } from "./nodes/index.ts";
import { EventLog, REDIS_URL, createTopics, deleteTopics, proofNames, waitFor, workerConfig } from "./testing/proof-support.ts";
import { startWorker, type Worker } from "./worker.ts";

/**
 * Issue #4 proofs on the real stack, two in-process workers in one group (own topics,
 * group, Redis prefix): 50 onboarding runs complete with every effect once and gap-free
 * events; a poison job is dead-lettered with its error without blocking its partition.
 * The duplicate-delivery proof (every job delivered twice: no early join, no repeated
 * effect) is "records every effect once when every job of a run is delivered twice" in
 * onboarding.integration.test.ts.
 */
const kafka = testKafka("worker-proofs-scale-it");
const names = proofNames("proofs-scale");
const JOBS_PARTITIONS = 6;
const events = new EventLog();
const workers: Worker[] = [];
let redis: Redis;

/** The partition the workers' producer (kafkajs' Java-compatible default partitioner) puts `key` on. */
const partitionOf = (() => {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: JOBS_PARTITIONS }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 0, replicas: [0], isr: [0] }));
  return (key: string) => partitioner({ topic: names.jobsTopic, partitionMetadata, message: { key, value: null } });
})();

/** A fresh run id whose jobs land on `partition`. */
function runIdOn(partition: number, prefix: string): string {
  for (;;) {
    const runId = `${prefix}-${randomUUID()}`;
    if (partitionOf(runId) === partition) return runId;
  }
}

async function waitUntilCompleted(worker: Worker, runIds: readonly string[], timeoutMs: number): Promise<void> {
  await waitFor(
    `${runIds.length} runs to complete`,
    async () => {
      const runs = await Promise.all(runIds.map((runId) => worker.store.readRun(runId)));
      const ended = runs.find((run) => run?.status === "failed" || run?.status === "cancelled");
      if (ended) throw new Error(`run ${ended.runId} ended ${ended.status}`);
      return runs.every((run) => run?.status === "completed") ? true : undefined;
    },
    timeoutMs,
  );
}

/** A completed onboarding run: 5 effects once, events 1..20 gap-free, each node scheduled/started/completed once. */
async function expectCompletedOnce(worker: Worker, runId: string, correlationId: string): Promise<void> {
  expect(await worker.store.countEffects(runId), `effects of ${runId}`).toBe(5);
  await waitFor(`RUN_COMPLETED of ${runId} published`, () => (events.types(runId).includes("RUN_COMPLETED") ? true : undefined), 20_000);
  const ordered = events.of(runId);
  expect(ordered.map((e) => e.sequence), `sequences of ${runId}`).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(ordered[0]?.type).toBe("RUN_CREATED");
  expect(ordered.at(-1)?.type).toBe("RUN_COMPLETED");
  const perNode = (type: string) => ordered.filter((e) => e.type === type).map((e) => e.nodeId).sort();
  const nodes = loadExampleBlueprint("employee-onboarding").nodes.map((n) => n.id).sort();
  expect(perNode("NODE_SCHEDULED")).toEqual(nodes);
  expect(perNode("NODE_STARTED")).toEqual(nodes);
  expect(perNode("NODE_COMPLETED")).toEqual(nodes);
  expect(new Set(ordered.map((e) => e.correlationId))).toEqual(new Set([correlationId]));
}

beforeAll(async () => {
  await createTopics(kafka, names, JOBS_PARTITIONS);
  workers.push(
    ...(await Promise.all([
      startWorker(workerConfig(names, `it-proofs-a-${names.suffix}`, { onEvents: events.collect })),
      startWorker(workerConfig(names, `it-proofs-b-${names.suffix}`, { onEvents: events.collect })),
    ])),
  );
  redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await redis?.quit();
  await deleteTopics(kafka, names);
});

describe("issue #4 proofs: scale and poison jobs (real Kafka, Cassandra, Redis)", () => {
  it("completes 50 onboarding runs on two workers, each effect once and events gap-free", async () => {
    const [first, second] = workers as [Worker, Worker];
    const startedAt = Date.now();
    const runs = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const runId = `it-proofs-50-${randomUUID()}`;
        const correlationId = `corr-${runId}`;
        await (i % 2 === 0 ? first : second).startRun({ blueprintId: "employee-onboarding", input: { employeeId: `e${i}` }, correlationId, runId });
        return { runId, correlationId };
      }),
    );
    await waitUntilCompleted(first, runs.map((r) => r.runId), 90_000);
    console.log(`50 onboarding runs completed in ${Date.now() - startedAt} ms`);
    for (const { runId, correlationId } of runs) await expectCompletedOnce(first, runId, correlationId);
    // Both workers took part.
    const completedJobs = workers.map((worker) => Number(worker.metrics.render().match(/outcome="completed"} (\d+)/)?.[1] ?? 0));
    expect(completedJobs.every((n) => n > 0), `jobs per worker ${completedJobs.join("/")}`).toBe(true);
  });

  it("dead-letters poison jobs with their error and still runs the next run on the same partition", async () => {
    const [worker] = workers as [Worker, Worker];
    const partition = 2;
    // The poison job's run exists and is running (created by an engine whose jobs go
    // nowhere), so its job for a node the blueprint lacks fails on every delivery.
    const stillEngine = new WorkflowEngine({
      registry: workerRegistry(worker.store),
      store: worker.store,
      coordination: new RedisCoordinationStore(redis, { keyPrefix: names.redisKeyPrefix }),
      jobs: { publish: async () => undefined },
      events: { publish: async () => undefined },
      blueprints: EXAMPLE_BLUEPRINT_IDS.map(loadExampleBlueprint),
    });
    const hostRunId = runIdOn(partition, "it-proofs-poison-host");
    await stillEngine.startRun({ blueprint: loadExampleBlueprint("employee-onboarding"), input: {}, correlationId: `corr-${hostRunId}`, runId: hostRunId });

    const deadLetters: KafkaMessage[] = [];
    const collector = kafka.consumer({ groupId: `it-proofs-dlq-${randomUUID()}`, maxWaitTimeInMs: 200 });
    await collector.connect();
    await collector.subscribe({ topic: names.deadLetterTopic, fromBeginning: true });
    await collector.run({ eachMessage: async ({ message }) => void deadLetters.push(message) });
    const producer = kafka.producer();
    await producer.connect();
    try {
      // 1. an undecodable record and 2. a job that fails on every delivery, then 3. a
      // normal run, all on the same partition in this order.
      await producer.send({ topic: names.jobsTopic, messages: [{ key: hostRunId, partition, value: Buffer.from("not an avro record") }] });
      await worker.publishJobs([{ runId: hostRunId, nodeId: "no-such-node", attempt: 1, fencingToken: 0, correlationId: `corr-${hostRunId}`, input: {} }]);
      const runId = runIdOn(partition, "it-proofs-after-poison");
      const startedAt = Date.now();
      await worker.startRun({ blueprintId: "employee-onboarding", input: { employeeId: "after-poison" }, correlationId: `corr-${runId}`, runId });

      await waitUntilCompleted(worker, [runId], 60_000);
      console.log(`run behind the poison jobs completed in ${Date.now() - startedAt} ms`);
      await expectCompletedOnce(worker, runId, `corr-${runId}`);
      await waitFor("both poison jobs dead-lettered", () => (deadLetters.length >= 2 ? true : undefined), 20_000);
      const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString();
      const byReason = new Map(deadLetters.map((m) => [header(m, DEAD_LETTER_HEADERS.reason), m]));
      expect([...byReason.keys()].sort()).toEqual(["handler-failed", "undecodable"]);
      const failed = byReason.get("handler-failed")!;
      expect(header(failed, DEAD_LETTER_HEADERS.errorMessage)).toContain('has no node "no-such-node"');
      expect(header(failed, DEAD_LETTER_HEADERS.deliveries)).toBe("5");
      for (const message of deadLetters) {
        expect(header(message, DEAD_LETTER_HEADERS.sourceTopic)).toBe(names.jobsTopic);
        expect(header(message, DEAD_LETTER_HEADERS.sourcePartition)).toBe(String(partition));
      }
      // The run's first job queued behind the poison job (4 redelivery pauses of 500 ms), then ran.
      const firstStarted = events.of(runId).find((e) => e.type === "NODE_STARTED");
      expect(firstStarted!.occurredAt.getTime() - startedAt).toBeGreaterThanOrEqual(1_500);
      expect(await worker.store.countEffects(hostRunId)).toBe(0);
      expect(deadLetters).toHaveLength(2);
    } finally {
      await worker.engine.cancel(hostRunId, "poison test cleanup").catch(() => undefined);
      await producer.disconnect();
      await collector.disconnect();
    }
  });
});
