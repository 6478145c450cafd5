import { randomUUID } from "node:crypto";
import amqp from "amqplib";
import type { Channel, ChannelModel, GetMessage } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertDelayQueue, assertJobsTopology, ensureJobsTopology, jobsTopology, type JobsTopology } from "./topology.ts";

const RABBITMQ_URL = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";

let connection: ChannelModel;
let channel: Channel;
const topologies: JobsTopology[] = [];
const delayQueues: string[] = [];

/** A topology with a unique queue name, removed after the suite. */
function testTopology(deliveryLimit?: number): JobsTopology {
  const topology = jobsTopology({ queue: `it-jobs-${randomUUID().slice(0, 8)}`, deliveryLimit });
  topologies.push(topology);
  return topology;
}

/** Polls the queue until a message arrives, or fails after `timeoutMs`. */
async function nextMessage(queue: string, timeoutMs = 10_000): Promise<GetMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const message = await channel.get(queue, { noAck: false });
    if (message) return message;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for a message in ${queue}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  connection = await amqp.connect(RABBITMQ_URL);
  channel = await connection.createChannel();
});

afterAll(async () => {
  for (const t of topologies) {
    for (const queue of [t.queue, t.deadLetterQueue]) await channel.deleteQueue(queue).catch(() => undefined);
    await channel.deleteExchange(t.deadLetterExchange).catch(() => undefined);
  }
  for (const queue of delayQueues) await channel.deleteQueue(queue).catch(() => undefined);
  await connection?.close();
});

describe("RabbitMQ jobs topology", () => {
  it("is idempotent: declaring it again (also by setup's own connection) changes nothing", async () => {
    const topology = testTopology();
    expect(await ensureJobsTopology(RABBITMQ_URL, topology)).toEqual({ created: true });
    channel.sendToQueue(topology.queue, Buffer.from("kept"), { persistent: true });
    expect(await ensureJobsTopology(RABBITMQ_URL, topology)).toEqual({ created: false });
    await assertJobsTopology(connection, topology);
    await expect.poll(async () => (await channel.checkQueue(topology.queue)).messageCount).toBe(1);
    expect((await channel.checkQueue(topology.deadLetterQueue)).messageCount).toBe(0);
  });

  it("dead-letters a rejected job into the dead-letter queue, headers kept", async () => {
    const topology = testTopology();
    await assertJobsTopology(connection, topology);
    channel.sendToQueue(topology.queue, Buffer.from("poison"), { persistent: true, headers: { "x-error": "cannot decode" } });
    const job = await nextMessage(topology.queue);
    channel.nack(job, false, false);
    const dead = await nextMessage(topology.deadLetterQueue);
    channel.ack(dead);
    expect(dead.content.toString()).toBe("poison");
    expect(dead.properties.headers?.["x-error"]).toBe("cannot decode");
    expect(dead.properties.headers?.["x-first-death-reason"]).toBe("rejected");
    expect((await channel.checkQueue(topology.queue)).messageCount).toBe(0);
  });

  it("routes what a worker publishes to the dead-letter exchange into the dead-letter queue", async () => {
    const topology = testTopology();
    await assertJobsTopology(connection, topology);
    channel.publish(topology.deadLetterExchange, topology.deadLetterQueue, Buffer.from("exhausted"), { persistent: true });
    const dead = await nextMessage(topology.deadLetterQueue);
    channel.ack(dead);
    expect(dead.content.toString()).toBe("exhausted");
  });

  it("dead-letters a job redelivered more often than the delivery limit", async () => {
    const topology = testTopology(2);
    await assertJobsTopology(connection, topology);
    channel.sendToQueue(topology.queue, Buffer.from("crash loop"), { persistent: true });
    // Taken and returned (as when the worker holding it dies) three times: the first
    // delivery and two redeliveries; the third return exceeds the limit.
    for (let delivery = 0; delivery < 3; delivery++) channel.nack(await nextMessage(topology.queue), false, true);
    const dead = await nextMessage(topology.deadLetterQueue);
    channel.ack(dead);
    expect(dead.content.toString()).toBe("crash loop");
    expect((await channel.checkQueue(topology.queue)).messageCount).toBe(0);
  });

  it("refuses a declaration with other settings with an error that says what to do", async () => {
    const topology = testTopology(5);
    await assertJobsTopology(connection, topology);
    await expect(assertJobsTopology(connection, { ...topology, deliveryLimit: 6 })).rejects.toThrow(
      new RegExp(`queue "${topology.queue}" exists with other settings.*RABBITMQ_JOBS_QUEUE`),
    );
    // The refusal closed only the helper's own channel, not the caller's connection.
    expect((await channel.checkQueue(topology.queue)).messageCount).toBe(0);
  });

  it("moves a delayed job into the jobs queue once its delay has passed", async () => {
    const topology = testTopology();
    await assertJobsTopology(connection, topology);
    const delayQueue = await assertDelayQueue(channel, topology, 400);
    delayQueues.push(delayQueue);
    expect(await assertDelayQueue(channel, topology, 400)).toBe(delayQueue);
    const sent = Date.now();
    channel.sendToQueue(delayQueue, Buffer.from("later"), { persistent: true });
    const job = await nextMessage(topology.queue);
    channel.ack(job);
    expect(job.content.toString()).toBe("later");
    expect(Date.now() - sent).toBeGreaterThanOrEqual(350);
  });
});
