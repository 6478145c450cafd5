import { randomUUID } from "node:crypto";
import { createProducer, createSchemaRegistry, silentLogger, type Producer } from "@taskflow/kafka";
import type { NodeJob } from "@taskflow/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, services } from "../../../../tests/support/services.ts";
import { brokers, collectRecords, committedOffsets, createTestTopics, deleteTestTopics, header, waitFor } from "./integration-test-support.ts";
import { KafkaJobQueue, type JobDelivery } from "./kafka-job-queue.ts";
import { DEAD_LETTER_HEADERS } from "./workflow-messages.ts";

/**
 * KafkaJobQueue's unhappy paths against the real broker: redelivery without an early
 * commit, dead-lettering of undecodable, invalid and poison jobs without blocking the
 * partition, and delayed jobs. One-partition topics, so "after it on the same
 * partition" is every later record.
 */
const registry = createSchemaRegistry({ url: services.registryUrl });
const topics: string[] = [];
const queues: KafkaJobQueue[] = [];
let producer: Producer;

beforeAll(async () => {
  producer = await createProducer({ clientId: "workflow-adapters-it", brokers, logger: silentLogger });
});

afterAll(async () => {
  await Promise.all(queues.map((q) => q.stop()));
  await producer?.disconnect();
  if (topics.length > 0) await deleteTestTopics(topics);
});

/** A queue on fresh one-partition jobs and dead-letter topics, with fast redelivery. */
async function freshQueue(maxDeliveries = 3) {
  const [topic, deadLetterTopic] = await createTestTopics({ prefix: "jobs", partitions: 1 }, { prefix: "jobs-dlq", partitions: 1 });
  topics.push(topic!, deadLetterTopic!);
  const groupId = `it-workers-${randomUUID()}`;
  const queue = await KafkaJobQueue.create({
    brokers,
    clientId: "workflow-adapters-it",
    groupId,
    registry,
    producer,
    topic,
    deadLetterTopic,
    logger: silentLogger,
    maxDeliveries,
    redeliveryBackoffMs: 50,
  });
  queues.push(queue);
  return { queue, topic: topic!, deadLetterTopic: deadLetterTopic!, groupId };
}

function job(runId: string, nodeId: string, attempt = 1): NodeJob {
  return { runId, nodeId, attempt, fencingToken: 1, correlationId: `corr-${runId}`, input: { nodeId } };
}

describe("KafkaJobQueue failure handling", () => {
  it("redelivers a job whose handler threw, and commits its offset only after success", async () => {
    const { queue, topic, groupId } = await freshQueue();
    const deliveries: number[] = [];
    let committedDuringRetry: number | undefined;
    await queue.consume(async (_job, delivery: JobDelivery) => {
      deliveries.push(delivery.delivery);
      if (delivery.delivery === 1) throw new Error("transient failure");
      committedDuringRetry = (await committedOffsets(groupId, topic)).get(0);
    });
    await queue.publish([job(`run-${randomUUID()}`, "flaky")]);

    await waitFor("the job handled twice", () => deliveries.length === 2 && committedDuringRetry !== undefined);
    expect(deliveries).toEqual([1, 2]);
    // While the second delivery ran, the group's position had not passed the job at
    // offset 0 (nothing committed, or 0 = "read offset 0 next" after the rewind).
    expect(committedDuringRetry).toBeLessThanOrEqual(0);
    await eventually("offset 1 committed after success", async () => ((await committedOffsets(groupId, topic)).get(0) === 1 ? true : undefined), 10_000);
  });

  it("dead-letters garbage, an invalid job and a poison job with error headers, and handles the jobs after them", async () => {
    const { queue, topic, deadLetterTopic } = await freshQueue(3);
    const runId = `run-${randomUUID()}`;
    const handled: string[] = [];
    const poisonDeliveries: number[] = [];
    await queue.consume(async (received, delivery) => {
      if (received.nodeId === "poison") {
        poisonDeliveries.push(delivery.delivery);
        throw new Error("node implementation exploded");
      }
      handled.push(received.nodeId);
    });
    await producer.send({ topic, messages: [{ key: runId, value: Buffer.from("definitely not avro") }] }); // offset 0
    await queue.publish([job(runId, "invalid-attempt", 0)]); // offset 1: Avro-valid, zod-invalid
    await queue.publish([job(runId, "poison")]); // offset 2
    await queue.publish([job(runId, "after-1"), job(runId, "after-2")]); // offsets 3, 4

    await waitFor("the jobs after the bad ones handled", () => handled.length === 2);
    expect(handled).toEqual(["after-1", "after-2"]);
    expect(poisonDeliveries).toEqual([1, 2, 3]);

    const deadLetters = await collectRecords(deadLetterTopic);
    try {
      await waitFor("3 dead-lettered records", () => deadLetters.records.length >= 3);
      const [garbage, invalid, poison] = deadLetters.records;
      for (const [record, offset] of [
        [garbage!, "0"],
        [invalid!, "1"],
        [poison!, "2"],
      ] as const) {
        expect(header(record, DEAD_LETTER_HEADERS.sourceTopic)).toBe(topic);
        expect(header(record, DEAD_LETTER_HEADERS.sourcePartition)).toBe("0");
        expect(header(record, DEAD_LETTER_HEADERS.sourceOffset)).toBe(offset);
        expect(record.key?.toString()).toBe(runId);
      }
      expect(garbage!.value?.toString()).toBe("definitely not avro");
      expect(header(garbage!, DEAD_LETTER_HEADERS.reason)).toBe("undecodable");
      expect(header(garbage!, DEAD_LETTER_HEADERS.errorName)).toBe("InvalidRecordError");
      expect(header(invalid!, DEAD_LETTER_HEADERS.reason)).toBe("invalid");
      expect(header(invalid!, DEAD_LETTER_HEADERS.errorMessage)).toContain("attempt");
      expect(header(poison!, DEAD_LETTER_HEADERS.reason)).toBe("handler-failed");
      expect(header(poison!, DEAD_LETTER_HEADERS.errorMessage)).toBe("node implementation exploded");
      expect(header(poison!, DEAD_LETTER_HEADERS.deliveries)).toBe("3");
    } finally {
      await deadLetters.stop();
    }
  });

  it("does not handle a delayed job before its not-before time", async () => {
    const { queue } = await freshQueue();
    const handledAt = new Map<string, { at: number; enqueuedAt: number }>();
    await queue.consume(async (received, delivery) => void handledAt.set(received.nodeId, { at: Date.now(), enqueuedAt: delivery.enqueuedAt.getTime() }));
    const runId = `run-${randomUUID()}`;
    const publishedAt = Date.now();
    await queue.publish([job(runId, "backoff")], { delayMs: 2_000 });
    await queue.publish([job(runId, "next")]);

    await waitFor("both jobs handled", () => handledAt.size === 2, 15_000);
    const delayed = handledAt.get("backoff")!;
    expect(delayed.at - delayed.enqueuedAt).toBeGreaterThanOrEqual(2_000);
    expect(delayed.at - publishedAt).toBeGreaterThanOrEqual(2_000);
    // Same run, same partition: the job behind it waited too (the documented trade-off).
    expect(handledAt.get("next")!.at).toBeGreaterThanOrEqual(delayed.at);
  });
});
