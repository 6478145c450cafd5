import { randomUUID } from "node:crypto";
import { silentLogger } from "@taskflow/kafka";
import type { RunEvent } from "@taskflow/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { services, testKafka } from "../../../tests/support/services.ts";
import { startWorker, type Worker } from "./worker.ts";

/**
 * The engine end to end on the real Kafka, registry, Cassandra and Redis: two worker
 * processes' engines in one group share onboarding runs; every node effect is recorded
 * once and every run's events are gap-free, also when every job is delivered twice.
 * Own jobs/events topics (the catalog's schema subjects), own group and Redis prefix.
 */
const kafka = testKafka("worker-it");
const suffix = randomUUID().slice(0, 8);
const jobsTopic = `it-worker-jobs-${suffix}`;
const deadLetterTopic = `it-worker-jobs-dlq-${suffix}`;
const eventsTopic = `it-worker-events-${suffix}`;
const groupId = `it-worker-${suffix}`;
const DUPLICATE_HEADER = "it-duplicate";

const eventsByRun = new Map<string, RunEvent[]>();
const workers: Worker[] = [];

function collect(events: readonly RunEvent[]): void {
  for (const event of events) eventsByRun.set(event.runId, [...(eventsByRun.get(event.runId) ?? []), event]);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function waitUntilCompleted(worker: Worker, runIds: string[]): Promise<void> {
  await waitFor(`${runIds.length} runs to complete`, async () => {
    const runs = await Promise.all(runIds.map((runId) => worker.store.readRun(runId)));
    const failed = runs.find((run) => run?.status === "failed" || run?.status === "cancelled");
    if (failed) throw new Error(`run ${failed.runId} ended ${failed.status}`);
    return runs.every((run) => run?.status === "completed") ? true : undefined;
  });
}

/** Asserts a completed onboarding run: 5 effects once, 20 events numbered 1..20 in the expected order. */
async function expectCompletedOnce(worker: Worker, runId: string, correlationId: string): Promise<void> {
  expect(await worker.store.countEffects(runId), `effects of ${runId}`).toBe(5);
  const events = await waitFor(`RUN_COMPLETED of ${runId} published`, async () => {
    const published = eventsByRun.get(runId) ?? [];
    return published.some((e) => e.type === "RUN_COMPLETED") ? published : undefined;
  });
  const ordered = [...events].sort((a, b) => a.sequence - b.sequence);
  expect(ordered.map((e) => e.sequence)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(ordered[0]?.type).toBe("RUN_CREATED");
  expect(ordered.at(-1)?.type).toBe("RUN_COMPLETED");
  const count = (type: string) => ordered.filter((e) => e.type === type).length;
  expect({ scheduled: count("NODE_SCHEDULED"), started: count("NODE_STARTED"), completed: count("NODE_COMPLETED") }).toEqual({ scheduled: 6, started: 6, completed: 6 });
  expect(new Set(ordered.map((e) => e.correlationId))).toEqual(new Set([correlationId]));
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        { topic: jobsTopic, numPartitions: 6, replicationFactor: 1 },
        { topic: deadLetterTopic, numPartitions: 1, replicationFactor: 1 },
        { topic: eventsTopic, numPartitions: 3, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  const start = (workerId: string, http?: { host: string; port: number }) =>
    startWorker({
      workerId,
      brokers: [...services.kafkaBrokers],
      registryUrl: services.registryUrl,
      cassandra: { ...services.cassandra, contactPoints: [...services.cassandra.contactPoints] },
      redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      redisKeyPrefix: `it:worker:${suffix}:`,
      groupId,
      concurrency: 3,
      http,
      jobsTopic,
      deadLetterTopic,
      eventsTopic,
      logger: silentLogger,
      onEvents: collect,
    });
  workers.push(...(await Promise.all([start(`it-a-${suffix}`, { host: "127.0.0.1", port: 0 }), start(`it-b-${suffix}`)])));
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [jobsTopic, deadLetterTopic, eventsTopic] }).catch(() => undefined);
  await admin.disconnect();
});

describe("workflow worker (real Kafka, Cassandra, Redis)", () => {
  it("completes 10 onboarding runs on two workers, each effect once and events gap-free", async () => {
    const [first, second] = workers as [Worker, Worker];
    const startedAt = Date.now();
    const runs = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const runId = `it-onboard-${randomUUID()}`;
        const correlationId = `corr-${runId}`;
        const starter = i % 2 === 0 ? first : second;
        await starter.startRun({ blueprintId: "employee-onboarding", input: { employeeId: `e${i}`, name: `Employee ${i}` }, correlationId, runId });
        return { runId, correlationId };
      }),
    );
    await waitUntilCompleted(first, runs.map((r) => r.runId));
    console.log(`10 onboarding runs completed in ${Date.now() - startedAt} ms`);
    for (const { runId, correlationId } of runs) await expectCompletedOnce(first, runId, correlationId);

    // Both engines took part, and the health/metrics endpoints answer.
    const handled = (worker: Worker) => (worker.metrics.render().match(/outcome="completed"} (\d+)/)?.[1] ?? "0");
    expect(Number(handled(first)) + Number(handled(second))).toBe(60);
    const health = await fetch(`http://127.0.0.1:${first.httpPort}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ healthy: true, checks: { consumer: true, cassandra: true, redis: true } });
    const metrics = await (await fetch(`http://127.0.0.1:${first.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/taskflow_worker_node_duration_seconds_count \d+/);
  });

  it("records every effect once when every job of a run is delivered twice", async () => {
    const [first] = workers as [Worker, Worker];
    const runIds = new Set(Array.from({ length: 3 }, () => `it-dup-${randomUUID()}`));
    // A tap on the jobs topic re-publishes every job of these runs as it appears, raw.
    const producer = kafka.producer();
    await producer.connect();
    const tap = kafka.consumer({ groupId: `it-dup-tap-${suffix}`, maxWaitTimeInMs: 100 });
    await tap.connect();
    await tap.subscribe({ topic: jobsTopic, fromBeginning: true });
    let copies = 0;
    await tap.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? "";
        if (!runIds.has(key) || message.headers?.[DUPLICATE_HEADER]) return;
        await producer.send({ topic: jobsTopic, messages: [{ key: message.key, value: message.value, headers: { ...message.headers, [DUPLICATE_HEADER]: "1" } }] });
        copies++;
      },
    });
    try {
      const startedAt = Date.now();
      for (const runId of runIds) await first.startRun({ blueprintId: "employee-onboarding", input: { employeeId: runId }, correlationId: `corr-${runId}`, runId });
      await waitUntilCompleted(first, [...runIds]);
      console.log(`3 onboarding runs with duplicated jobs completed in ${Date.now() - startedAt} ms`);
      await waitFor("all 18 duplicates published", async () => (copies >= 18 ? true : undefined));
      // Wait until the copies were handled too (as duplicates, or dropped because the run ended).
      const ignored = () =>
        workers.reduce((sum, worker) => {
          const text = worker.metrics.render();
          return sum + Number(text.match(/outcome="duplicate"} (\d+)/)?.[1] ?? 0) + Number(text.match(/outcome="skipped-inactive"} (\d+)/)?.[1] ?? 0);
        }, 0);
      await waitFor("18 duplicate deliveries handled", async () => (ignored() >= 18 ? true : undefined));
      expect(copies).toBe(18);
      for (const runId of runIds) await expectCompletedOnce(first, runId, `corr-${runId}`);
    } finally {
      await tap.disconnect();
      await producer.disconnect();
    }
  });
});
