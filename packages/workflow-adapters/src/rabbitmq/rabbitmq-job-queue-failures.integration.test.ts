import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { header, rabbitFixture, readyCount, takeMessages, testJob, waitFor, type RabbitFixture } from "./integration-test-support.ts";
import { RABBITMQ_DEAD_LETTER_HEADERS, RABBITMQ_JOB_HEADERS } from "./job-messages.ts";
import { jobsTopology } from "./topology.ts";

/**
 * RabbitMqJobQueue's unhappy paths against the real broker: a failed handler is retried
 * with backoff, a poison job and undecodable messages reach the dead-letter queue with
 * their error without blocking the jobs behind them (prefetch 1: one stuck message would
 * stall the consumer), and delayed jobs wait for their not-before time.
 */
let rabbit: RabbitFixture;

beforeEach(async () => {
  rabbit = await rabbitFixture();
});

afterEach(async () => {
  await rabbit.close();
});

describe("RabbitMqJobQueue failure handling", () => {
  it("redelivers a job whose handler threw, after the backoff, counting its deliveries", async () => {
    const queue = rabbit.newQueueName();
    const jobQueue = await rabbit.newJobQueue(queue, { redeliveryBackoffMs: 300 });
    const deliveries: { delivery: number; at: number; enqueuedAt: number }[] = [];
    await jobQueue.consume(async (_job, delivery) => {
      deliveries.push({ delivery: delivery.delivery, at: Date.now(), enqueuedAt: delivery.enqueuedAt.getTime() });
      if (delivery.delivery === 1) throw new Error("transient failure");
    });
    await jobQueue.publish([testJob(`run-${randomUUID()}`, "flaky")]);

    await waitFor("the job handled twice", () => deliveries.length === 2);
    expect(deliveries.map((d) => d.delivery)).toEqual([1, 2]);
    expect(deliveries[1]!.at - deliveries[0]!.at).toBeGreaterThanOrEqual(300);
    // The redelivered copy keeps the first publish's time (the scheduling-overhead metric).
    expect(deliveries[1]!.enqueuedAt).toBe(deliveries[0]!.enqueuedAt);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(deliveries).toHaveLength(2);
    expect(await readyCount(rabbit.channel, jobsTopology({ queue }).deadLetterQueue)).toBe(0);
  });

  it("dead-letters garbage, an invalid job and a poison job with their errors, and handles the jobs behind them", async () => {
    const queue = rabbit.newQueueName();
    const { deadLetterQueue } = jobsTopology({ queue });
    const jobQueue = await rabbit.newJobQueue(queue, { prefetch: 1, maxDeliveries: 3, redeliveryBackoffMs: 50 });
    const runId = `run-${randomUUID()}`;
    const handled: string[] = [];
    const poisonDeliveries: number[] = [];
    await jobQueue.consume(async (job, delivery) => {
      if (job.nodeId === "poison") {
        poisonDeliveries.push(delivery.delivery);
        throw new Error("node implementation exploded");
      }
      handled.push(job.nodeId);
    });
    rabbit.channel.sendToQueue(queue, Buffer.from("definitely not json"), { persistent: true, headers: { "trace-id": "garbage" } });
    rabbit.channel.sendToQueue(queue, Buffer.from(JSON.stringify({ ...testJob(runId, "invalid-attempt"), attempt: 0 })), { persistent: true });
    await jobQueue.publish([testJob(runId, "poison")]);
    await jobQueue.publish([testJob(runId, "after-1"), testJob(runId, "after-2")]);

    await waitFor("the jobs after the bad ones handled", () => handled.length === 2);
    expect(handled).toEqual(["after-1", "after-2"]);
    await waitFor("the poison job given up", () => poisonDeliveries.length === 3);
    expect(poisonDeliveries).toEqual([1, 2, 3]);

    const deadLetters = await takeMessages(rabbit.channel, deadLetterQueue, 3);
    const byReason = new Map(deadLetters.map((m) => [header(m, RABBITMQ_DEAD_LETTER_HEADERS.reason), m]));
    const garbage = byReason.get("undecodable")!;
    const invalid = byReason.get("invalid")!;
    const poison = byReason.get("handler-failed")!;
    for (const message of [garbage, invalid, poison]) {
      expect(header(message, RABBITMQ_DEAD_LETTER_HEADERS.sourceQueue)).toBe(queue);
      expect(message.properties.deliveryMode).toBe(2);
    }
    // Copied as they were, with the error beside them.
    expect(garbage.content.toString()).toBe("definitely not json");
    expect(header(garbage, "trace-id")).toBe("garbage");
    expect(header(garbage, RABBITMQ_DEAD_LETTER_HEADERS.errorMessage)).toMatch(/^message body is not JSON: /);
    expect(header(garbage, RABBITMQ_DEAD_LETTER_HEADERS.deliveries)).toBe(0);
    expect(header(invalid, RABBITMQ_DEAD_LETTER_HEADERS.errorMessage)).toMatch(/^message body is not a valid node job: attempt: /);
    expect(JSON.parse(poison.content.toString())).toMatchObject({ runId, nodeId: "poison" });
    expect(header(poison, RABBITMQ_DEAD_LETTER_HEADERS.errorName)).toBe("Error");
    expect(header(poison, RABBITMQ_DEAD_LETTER_HEADERS.errorMessage)).toBe("node implementation exploded");
    expect(header(poison, RABBITMQ_DEAD_LETTER_HEADERS.errorStack)).toMatch(/^Error: node implementation exploded\n\s+at /);
    expect(header(poison, RABBITMQ_DEAD_LETTER_HEADERS.deliveries)).toBe(3);
    expect(header(poison, RABBITMQ_JOB_HEADERS.runId)).toBe(runId);
    expect(header(poison, RABBITMQ_JOB_HEADERS.correlationId)).toBe(`corr-${runId}`);
    // Nothing left behind: the jobs queue is empty, nothing else was dead-lettered.
    expect(await readyCount(rabbit.channel, queue)).toBe(0);
    expect(await readyCount(rabbit.channel, deadLetterQueue)).toBe(0);
  });

  it("does not handle a delayed job before its not-before time, and keeps handling other jobs meanwhile", async () => {
    const queue = rabbit.newQueueName();
    const jobQueue = await rabbit.newJobQueue(queue, { prefetch: 2 });
    const handledAt = new Map<string, { at: number; enqueuedAt: number }>();
    await jobQueue.consume(async (job, delivery) => void handledAt.set(job.nodeId, { at: Date.now(), enqueuedAt: delivery.enqueuedAt.getTime() }));
    const runId = `run-${randomUUID()}`;
    const publishedAt = Date.now();
    await jobQueue.publish([testJob(runId, "backoff")], { delayMs: 2_000 });
    await jobQueue.publish([testJob(runId, "next-1")]);
    await jobQueue.publish([testJob(runId, "next-2"), testJob(runId, "next-3")]);

    await waitFor("all jobs handled", () => handledAt.size === 4, 15_000);
    const delayed = handledAt.get("backoff")!;
    expect(delayed.at - delayed.enqueuedAt).toBeGreaterThanOrEqual(2_000);
    expect(delayed.at - publishedAt).toBeGreaterThanOrEqual(2_000);
    // Unlike a Kafka partition, the held job blocks nothing behind it (one prefetch slot).
    for (const nodeId of ["next-1", "next-2", "next-3"]) expect(handledAt.get(nodeId)!.at).toBeLessThan(delayed.at);
  });

  it("returns a delayed job it holds to the queue on stop(), and the next worker still waits for its time", async () => {
    const queue = rabbit.newQueueName();
    const first = await rabbit.newJobQueue(queue);
    const firstHandled: string[] = [];
    await first.consume(async (job) => void firstHandled.push(job.nodeId));
    const publishedAt = Date.now();
    await first.publish([testJob(`run-${randomUUID()}`, "later")], { delayMs: 1_500 });
    // Held by the first worker (delivered, unacknowledged): not ready in the queue.
    await waitFor("the job held", async () => (await readyCount(rabbit.channel, queue)) === 0);
    await first.stop();
    expect(firstHandled).toEqual([]);
    expect(await readyCount(rabbit.channel, queue)).toBe(1);

    const secondHandledAt: number[] = [];
    const second = await rabbit.newJobQueue(queue);
    await second.consume(async () => void secondHandledAt.push(Date.now()));
    await waitFor("the second worker to handle it", () => secondHandledAt.length === 1, 10_000);
    expect(secondHandledAt[0]! - publishedAt).toBeGreaterThanOrEqual(1_500);
  });
});
