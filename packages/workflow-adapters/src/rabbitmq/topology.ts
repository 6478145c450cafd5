import amqp from "amqplib";
import type { Channel, ChannelModel } from "amqplib";

/**
 * The RabbitMQ objects of the job transport (issue #6), declared idempotently by setup
 * and by every client before it publishes or consumes:
 *
 * - `<queue>` (default `flowcraft-jobs`, the seed's name): a durable **quorum** queue the
 *   workers consume. Quorum queues replicate and fsync every message before confirming it,
 *   keep unacknowledged messages across a worker's death (they return to the queue), and
 *   count redeliveries (`x-delivery-count`).
 * - `<queue>.dlx`: a durable direct exchange, the jobs queue's dead-letter exchange.
 * - `<queue>.dlq`: a durable queue bound to it under its own name: what is rejected
 *   (`nack` without requeue), redelivered more than `deliveryLimit` times, or published
 *   there by a worker (with the error in its headers) ends up here.
 * - `<queue>.delay.<ms>` (on demand, `assertDelayQueue`): delayed jobs wait there for
 *   `ms`, then dead-letter back into the jobs queue.
 *
 * TRICKY: RabbitMQ refuses to re-declare a queue with other arguments
 * (PRECONDITION_FAILED). Every client must declare the queues through this module, so
 * setup, publishers and consumers always agree; `assertJobsTopology` turns the refusal
 * into an error that says what to do.
 */

/** The seed's jobs queue name. */
export const DEFAULT_JOBS_QUEUE = "flowcraft-jobs";

/**
 * Redeliveries after which the broker dead-letters a job by itself. A safety net for a job
 * that kills every worker that takes it (a crash loop would otherwise never end). Workers
 * must not burn through it on transient failures: back off before requeueing.
 */
export const DEFAULT_DELIVERY_LIMIT = 20;

/** Names and settings of the jobs queue and its dead-letter path. */
export interface JobsTopology {
  /** The durable quorum queue workers consume; publishers send to it through the default exchange. */
  queue: string;
  /** Direct exchange the jobs queue dead-letters into. */
  deadLetterExchange: string;
  /** Queue bound to `deadLetterExchange` under its own name; also the routing key to use. */
  deadLetterQueue: string;
  /** Redeliveries after which the broker dead-letters a job (`x-delivery-limit`). */
  deliveryLimit: number;
}

export interface JobsTopologyOptions {
  /** Jobs queue name; `RABBITMQ_JOBS_QUEUE` in the worker. Default `flowcraft-jobs`. */
  queue?: string;
  /** Default {@link DEFAULT_DELIVERY_LIMIT}. */
  deliveryLimit?: number;
}

/** Longest queue name RabbitMQ accepts (a short string: 255 bytes). */
const MAX_NAME_BYTES = 255;

/** Derives the topology's names from the jobs queue name; validates them. */
export function jobsTopology(options: JobsTopologyOptions = {}): JobsTopology {
  const queue = options.queue ?? DEFAULT_JOBS_QUEUE;
  const deliveryLimit = options.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT;
  // The longest derived name is the delay queue's: `<queue>.delay.<ms>`.
  if (queue.length === 0 || Buffer.byteLength(`${queue}.delay.4294967295`) > MAX_NAME_BYTES) {
    throw new Error(`jobs queue name must be 1 to ${MAX_NAME_BYTES - 17} bytes long, got ${Buffer.byteLength(queue)}`);
  }
  if (queue.startsWith("amq.")) throw new Error(`jobs queue name "${queue}" is reserved: names starting with "amq." belong to the broker`);
  if (!Number.isInteger(deliveryLimit) || deliveryLimit < 1) {
    throw new Error(`deliveryLimit must be a positive integer, got ${deliveryLimit}`);
  }
  return { queue, deadLetterExchange: `${queue}.dlx`, deadLetterQueue: `${queue}.dlq`, deliveryLimit };
}

/** The exact arguments of the jobs queue; a declaration with any other set is refused. */
export function jobsQueueArguments(topology: JobsTopology): Record<string, unknown> {
  return {
    "x-queue-type": "quorum",
    "x-dead-letter-exchange": topology.deadLetterExchange,
    "x-dead-letter-routing-key": topology.deadLetterQueue,
    "x-delivery-limit": topology.deliveryLimit,
  };
}

/**
 * Declares the jobs queue, the dead-letter exchange and queue, and their binding. A no-op
 * when they exist as declared. Uses (and closes) a channel of its own, because a refused
 * declaration closes the channel it was made on.
 */
export async function assertJobsTopology(connection: ChannelModel, topology: JobsTopology): Promise<void> {
  const channel = await connection.createChannel();
  // A refused declaration also emits `error` on the channel; the rejected promise reports it.
  channel.on("error", () => undefined);
  try {
    await channel.assertExchange(topology.deadLetterExchange, "direct", { durable: true });
    await declareQueue(channel, topology.deadLetterQueue, { "x-queue-type": "quorum" });
    await channel.bindQueue(topology.deadLetterQueue, topology.deadLetterExchange, topology.deadLetterQueue);
    await declareQueue(channel, topology.queue, jobsQueueArguments(topology));
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/**
 * Name of the queue where jobs delayed by `delayMs` wait. One queue per delay, because a
 * queue's messages expire in order: a long delay must not hold up a short one behind it.
 * Callers should round delays (e.g. to whole seconds) to keep the number of queues small.
 */
export function delayQueueName(topology: JobsTopology, delayMs: number): string {
  if (!Number.isInteger(delayMs) || delayMs < 1 || delayMs > 0xffff_ffff) {
    throw new Error(`delayMs must be a whole number of milliseconds from 1 to ${0xffff_ffff}, got ${delayMs}`);
  }
  return `${topology.queue}.delay.${delayMs}`;
}

/**
 * Declares the delay queue for `delayMs` and returns its name: publish a delayed job there
 * (default exchange, persistent, with confirms); after `delayMs` the broker moves it to the
 * jobs queue. The queue deletes itself after ten idle minutes beyond the delay (by then
 * every message in it has moved on), so declare it before each publish; that is cheap.
 */
export async function assertDelayQueue(channel: Channel, topology: JobsTopology, delayMs: number): Promise<string> {
  const name = delayQueueName(topology, delayMs);
  await declareQueue(channel, name, {
    "x-queue-type": "classic",
    "x-message-ttl": delayMs,
    "x-expires": delayMs + 600_000,
    // The default exchange routes by queue name: expired messages go to the jobs queue.
    "x-dead-letter-exchange": "",
    "x-dead-letter-routing-key": topology.queue,
  });
  return name;
}

/**
 * Connects to `url`, declares the topology, disconnects. For setup; `created` says whether
 * the jobs queue was new.
 */
export async function ensureJobsTopology(url: string, topology: JobsTopology): Promise<{ created: boolean }> {
  const connection = await amqp.connect(url);
  connection.on("error", () => undefined);
  try {
    const existed = await queueExists(connection, topology.queue);
    await assertJobsTopology(connection, topology);
    return { created: !existed };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function queueExists(connection: ChannelModel, queue: string): Promise<boolean> {
  // A missing queue fails checkQueue with NOT_FOUND and closes the channel: use a spare one.
  const channel = await connection.createChannel();
  channel.on("error", () => undefined);
  try {
    await channel.checkQueue(queue);
    await channel.close().catch(() => undefined);
    return true;
  } catch (error) {
    if (error instanceof Error && error.message.includes("NOT_FOUND")) return false;
    throw error;
  }
}

async function declareQueue(channel: Channel, queue: string, args: Record<string, unknown>): Promise<void> {
  try {
    await channel.assertQueue(queue, { durable: true, arguments: args });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.includes("PRECONDITION_FAILED")) {
      throw new Error(
        `RabbitMQ queue "${queue}" exists with other settings than this version declares (${message}); ` +
          `drain and delete it, or use another RABBITMQ_JOBS_QUEUE`,
      );
    }
    throw error;
  }
}
