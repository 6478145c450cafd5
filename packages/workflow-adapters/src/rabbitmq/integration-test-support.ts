import { randomUUID } from "node:crypto";
import { silentLogger } from "@taskflow/kafka";
import type { NodeJob } from "@taskflow/workflow";
import { connect, type Channel, type ChannelModel, type GetMessage } from "amqplib";
import { RabbitMqJobQueue, type RabbitMqJobQueueOptions } from "./rabbitmq-job-queue.ts";
import { jobsTopology, type JobsTopology } from "./topology.ts";

/**
 * Helpers for this folder's integration tests: a queue per test (unique names, deleted
 * afterwards, so no other consumer of `flowcraft-jobs` interferes), a test channel to
 * inspect queues, and `waitFor`.
 */
export const RABBITMQ_URL = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";

/** A test's RabbitMQ fixtures; `close()` stops its queues (first) and deletes its queues and exchanges. */
export interface RabbitFixture {
  /** The test's own connection and channel, for inspecting and publishing raw messages. */
  connection: ChannelModel;
  channel: Channel;
  /** A unique jobs queue name per call. */
  newQueueName(): string;
  /** A job queue on `queue` (created and stopped by the fixture); `onConnectionLost` defaults to recording into `lost`. */
  newJobQueue(queue: string, overrides?: Partial<RabbitMqJobQueueOptions>): Promise<RabbitMqJobQueue>;
  /** Errors passed to the default `onConnectionLost`. */
  lost: Error[];
  close(): Promise<void>;
}

export async function rabbitFixture(): Promise<RabbitFixture> {
  const connection = await connect(RABBITMQ_URL);
  connection.on("error", () => undefined);
  const channel = await connection.createChannel();
  const topologies: JobsTopology[] = [];
  const queues: RabbitMqJobQueue[] = [];
  const lost: Error[] = [];
  return {
    connection,
    channel,
    lost,
    newQueueName() {
      const topology = jobsTopology({ queue: `it-jobs-${randomUUID().slice(0, 8)}` });
      topologies.push(topology);
      return topology.queue;
    },
    async newJobQueue(queue, overrides = {}) {
      const jobQueue = await RabbitMqJobQueue.create({
        url: RABBITMQ_URL,
        clientId: "workflow-adapters-it",
        queue,
        logger: silentLogger,
        onConnectionLost: (error) => lost.push(error),
        ...overrides,
      });
      queues.push(jobQueue);
      return jobQueue;
    },
    async close() {
      // Clients before the queues they use.
      await Promise.all(queues.map((q) => q.stop()));
      for (const t of topologies) {
        for (const queue of [t.queue, t.deadLetterQueue]) await channel.deleteQueue(queue).catch(() => undefined);
        await channel.deleteExchange(t.deadLetterExchange).catch(() => undefined);
      }
      await connection.close().catch(() => undefined);
    },
  };
}

export function testJob(runId: string, nodeId: string, attempt = 1): NodeJob {
  return { runId, nodeId, attempt, fencingToken: 1, correlationId: `corr-${runId}`, input: { nodeId } };
}

/** Polls `condition` every 50 ms; fails after `timeoutMs` naming `what`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Takes (and acks) `count` messages from `queue`, in order; fails after `timeoutMs`. */
export async function takeMessages(channel: Channel, queue: string, count: number, timeoutMs = 15_000): Promise<GetMessage[]> {
  const messages: GetMessage[] = [];
  await waitFor(`${count} messages in ${queue}`, async () => {
    const message = await channel.get(queue, { noAck: true });
    if (message) messages.push(message);
    return messages.length >= count;
  }, timeoutMs);
  return messages;
}

/** Ready (not delivered, or returned) messages in `queue`. */
export async function readyCount(channel: Channel, queue: string): Promise<number> {
  return (await channel.checkQueue(queue)).messageCount;
}

export function header(message: GetMessage, name: string): unknown {
  return message.properties.headers?.[name];
}
