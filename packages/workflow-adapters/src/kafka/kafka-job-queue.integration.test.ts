import { randomUUID } from "node:crypto";
import { createSchemaRegistry, silentLogger } from "@taskflow/kafka";
import type { NodeJob } from "@taskflow/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { services } from "../../../../tests/support/services.ts";
import { brokers, createTestTopics, deleteTestTopics, waitFor } from "./integration-test-support.ts";
import { KafkaJobQueue, type KafkaJobQueueOptions } from "./kafka-job-queue.ts";

/**
 * KafkaJobQueue against the real broker and registry: a worker group shares the jobs,
 * keeps each run's order, and the publish→handle latency is measured. Own topics, the
 * real `taskflow-workflow-jobs-value` subject (the default).
 */
const registry = createSchemaRegistry({ url: services.registryUrl });
let jobsTopic: string;
let deadLetterTopic: string;
const queues: KafkaJobQueue[] = [];

beforeAll(async () => {
  const [jobs, deadLetters] = await createTestTopics({ prefix: "jobs", partitions: 6 }, { prefix: "jobs-dlq", partitions: 1 });
  jobsTopic = jobs!;
  deadLetterTopic = deadLetters!;
});

afterAll(async () => {
  await Promise.all(queues.map((q) => q.stop()));
  await deleteTestTopics([jobsTopic, deadLetterTopic]);
});

async function newQueue(groupId: string, overrides: Partial<KafkaJobQueueOptions> = {}): Promise<KafkaJobQueue> {
  const queue = await KafkaJobQueue.create({
    brokers,
    clientId: "workflow-adapters-it",
    groupId,
    registry,
    topic: jobsTopic,
    deadLetterTopic,
    logger: silentLogger,
    ...overrides,
  });
  queues.push(queue);
  return queue;
}

function job(runId: string, index: number): NodeJob {
  return { runId, nodeId: `node-${index}`, attempt: 1, fencingToken: index, correlationId: `corr-${runId}`, input: { index } };
}

describe("KafkaJobQueue", () => {
  it("shares 100 jobs of 10 runs between two workers of one group, in order per run", async () => {
    const groupId = `it-workers-${randomUUID()}`;
    const handledBy = new Map<string, { nodeIds: string[]; workers: Set<string> }>();
    const handle = (worker: string) => async (handled: NodeJob) => {
      const entry = handledBy.get(handled.runId) ?? { nodeIds: [], workers: new Set<string>() };
      entry.nodeIds.push(handled.nodeId);
      entry.workers.add(worker);
      handledBy.set(handled.runId, entry);
    };
    const first = await newQueue(groupId);
    const second = await newQueue(groupId);
    await first.consume(handle("first"));
    await second.consume(handle("second"));
    // Publish once the group is stable, so no rebalance replays a job mid-test.
    await waitFor(
      "both workers to own partitions",
      () => first.partitions.length > 0 && second.partitions.length > 0 && first.partitions.length + second.partitions.length === 6,
    );

    const runIds = Array.from({ length: 10 }, () => `run-${randomUUID()}`);
    const jobs = Array.from({ length: 10 }, (_, index) => runIds.map((runId) => job(runId, index))).flat();
    await first.publish(jobs);

    const total = () => [...handledBy.values()].reduce((sum, e) => sum + e.nodeIds.length, 0);
    await waitFor("100 jobs handled", () => total() >= 100);
    const expectedOrder = Array.from({ length: 10 }, (_, index) => `node-${index}`);
    for (const runId of runIds) expect(handledBy.get(runId)?.nodeIds, runId).toEqual(expectedOrder);
    expect(total()).toBe(100);
    // Both workers took part, and each run stayed with one worker (one partition).
    const workersUsed = new Set([...handledBy.values()].flatMap((e) => [...e.workers]));
    expect(workersUsed).toEqual(new Set(["first", "second"]));
    for (const entry of handledBy.values()) expect(entry.workers.size).toBe(1);
    await Promise.all([first.stop(), second.stop()]);
  });

  it("measures publish→handle latency over 100 sequential jobs", async () => {
    const queue = await newQueue(`it-latency-${randomUUID()}`);
    const handled = new Map<string, number>();
    await queue.consume(async (received) => void handled.set(received.nodeId, Date.now()));
    await waitFor("the worker to own partitions", () => queue.partitions.length === 6);
    const runId = `run-${randomUUID()}`;
    const latencies: number[] = [];
    for (let index = 0; index < 100; index++) {
      const started = Date.now();
      await queue.publish([job(runId, index)]);
      await waitFor(`job ${index}`, () => handled.has(`node-${index}`), 10_000);
      latencies.push(handled.get(`node-${index}`)! - started);
    }
    latencies.sort((a, b) => a - b);
    const median = latencies[49]!;
    console.log(`publish→handle latency over 100 jobs: median ${median} ms, p90 ${latencies[89]} ms, max ${latencies[99]} ms`);
    expect(median).toBeLessThan(1_000);
    await queue.stop();
    await queue.stop(); // idempotent
  });
});
