import { randomUUID } from "node:crypto";
import { jsonLinesLogger, type Logger } from "@taskflow/kafka";
import type { JobQueue, NodeJob } from "@taskflow/workflow";
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Message, type Options } from "amqplib";
import { settlesWithin } from "../kafka/record-handling.ts";
import type { DeadLetterReason } from "../kafka/workflow-messages.ts";
import { deadLetterHeaders, decodeJobMessage, encodeJobMessage, withoutBrokerHeaders, type DecodedJobMessage } from "./job-messages.ts";
import { assertJobsTopology, jobsTopology, type JobsTopology } from "./topology.ts";

/** Options of {@link RabbitMqJobQueue.create}. */
export interface RabbitMqJobQueueOptions {
  /** `amqp://user:password@host:port/vhost`; the queue opens (and `stop()` closes) a connection of its own. */
  url?: string;
  /**
   * A shared connection instead of `url`; `stop()` closes only the queue's channels on it.
   * Its owner listens for its `error` events (an unhandled one would crash the process).
   */
  connection?: ChannelModel;
  /** Shown as the connection's name in the broker, e.g. `taskflow-worker-1`. */
  clientId?: string;
  /** Jobs queue name; default `flowcraft-jobs`. Its dead-letter queue is `<queue>.dlq` (see topology.ts). */
  queue?: string;
  /** The broker's own redelivery limit (`x-delivery-limit`), a crash-loop safety net; default topology.ts's. */
  deliveryLimit?: number;
  /** Unacknowledged jobs this consumer holds at once, i.e. handlers running in parallel plus delayed jobs waiting (default 10). */
  prefetch?: number;
  /** Handler runs per job before it is dead-lettered as a poison job (default 5). */
  maxDeliveries?: number;
  /** Not-before delay of a job republished after its handler failed (default 500 ms). */
  redeliveryBackoffMs?: number;
  /** How long `stop()` waits for in-flight handlers (default 10 s). */
  drainTimeoutMs?: number;
  logger?: Logger;
  /**
   * Called once when the connection or one of the queue's channels closes without
   * `stop()` (broker restart, network loss, a channel error). The queue does not
   * reconnect: the worker should stop and exit non-zero so its supervisor (systemd,
   * compose) restarts it. Jobs it held unacknowledged are back in the queue already.
   */
  onConnectionLost: (error: Error) => void;
}

/** What the transport knows about one delivery, for metrics and logs. */
export interface RabbitMqJobDelivery {
  /** When the job was first published (the scheduling-overhead metric starts here). */
  enqueuedAt: Date;
  /** 1 for the job's first handler run; counts failed runs across republishes. */
  delivery: number;
  /** The broker delivered this message before (a worker died holding it, or it was returned at shutdown). */
  redelivered: boolean;
}

/** A job handler; resolving means the job's effect is durable. */
export type RabbitMqJobHandler = (job: NodeJob, delivery: RabbitMqJobDelivery) => Promise<void>;

const DEFAULTS = { prefetch: 10, maxDeliveries: 5, redeliveryBackoffMs: 500, drainTimeoutMs: 10_000 } as const;

/**
 * {@link JobQueue} on RabbitMQ: NodeJobs as persistent JSON messages on a durable quorum
 * queue (topology.ts), published on a confirm channel, consumed with a prefetch limit by
 * any number of workers (competing consumers) with manual acks: a job is acknowledged only
 * after its handler resolved, so a worker that dies holding jobs gives them back (the
 * broker requeues a closed connection's unacknowledged messages).
 *
 * A failed handler run is republished (confirmed) with its delivery count + 1 and a
 * backoff, then acknowledged; after `maxDeliveries` runs, or when the message cannot be
 * decoded, it is published to the dead-letter queue with the error and acknowledged.
 *
 * Connection loss: logged, `onConnectionLost` is called, and the queue stays failed
 * (publish rejects); no reconnect (see {@link RabbitMqJobQueueOptions.onConnectionLost}).
 */
export class RabbitMqJobQueue implements JobQueue {
  private readonly logger: Logger;
  private readonly prefetch: number;
  private readonly maxDeliveries: number;
  private readonly redeliveryBackoffMs: number;
  private readonly drainTimeoutMs: number;
  /** Message ids the broker returned as unroutable; their confirm then rejects the publish. */
  private readonly returned = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Delivered jobs whose not-before time has not come: held unacknowledged until it has. */
  private readonly held = new Map<NodeJS.Timeout, ConsumeMessage>();
  private consumeChannel: Channel | undefined;
  private consumerTag: string | undefined;
  private stopping = false;
  private closing = false;
  private lostError: Error | undefined;
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly options: RabbitMqJobQueueOptions,
    readonly topology: JobsTopology,
    private readonly connection: ChannelModel,
    private readonly ownsConnection: boolean,
    private readonly publishChannel: ConfirmChannel,
  ) {
    this.logger = options.logger ?? jsonLinesLogger({ component: "rabbitmq-job-queue" });
    this.prefetch = positiveInteger("prefetch", options.prefetch ?? DEFAULTS.prefetch);
    this.maxDeliveries = positiveInteger("maxDeliveries", options.maxDeliveries ?? DEFAULTS.maxDeliveries);
    this.redeliveryBackoffMs = options.redeliveryBackoffMs ?? DEFAULTS.redeliveryBackoffMs;
    this.drainTimeoutMs = options.drainTimeoutMs ?? DEFAULTS.drainTimeoutMs;
    if (ownsConnection) {
      connection.on("error", (error: Error) => this.logger.warn("rabbitmq connection error", { queue: topology.queue, error }));
      connection.on("close", (error?: Error) => this.connectionLost(error ?? new Error("RabbitMQ connection closed")));
    }
    // NOTE: a memory or disk alarm blocks publishers; publishes wait (not fail) meanwhile.
    connection.on("blocked", (reason: string) => this.logger.warn("rabbitmq blocked publishing", { queue: topology.queue, reason }));
    connection.on("unblocked", () => this.logger.info("rabbitmq unblocked publishing", { queue: topology.queue }));
    this.watchChannel(publishChannel, "publish");
    publishChannel.on("return", (message: Message) => {
      const messageId: unknown = message.properties.messageId;
      if (typeof messageId === "string") this.returned.add(messageId);
    });
  }

  /**
   * Connects (unless a connection is passed), declares the jobs topology (idempotent) and
   * opens the confirm channel. Rejects with a clear error for a URL that does not parse,
   * an unreachable broker or a queue declared with other settings.
   */
  static async create(options: RabbitMqJobQueueOptions): Promise<RabbitMqJobQueue> {
    const topology = jobsTopology({ queue: options.queue, deliveryLimit: options.deliveryLimit });
    const ownsConnection = options.connection === undefined;
    const connection = options.connection ?? (await connectTo(options.url, options.clientId));
    try {
      await assertJobsTopology(connection, topology);
      const publishChannel = await connection.createConfirmChannel();
      return new RabbitMqJobQueue(options, topology, connection, ownsConnection, publishChannel);
    } catch (error) {
      if (ownsConnection) await connection.close().catch(() => undefined);
      throw error;
    }
  }

  /** `true` while the connection and channels are open and `stop()` was not called. */
  get healthy(): boolean {
    return !this.stopping && this.lostError === undefined;
  }

  /**
   * Publishes jobs to the jobs queue as persistent messages and resolves once the broker
   * confirmed every one (for a quorum queue: replicated and on disk). With `delayMs`, each
   * job carries a not-before time and no worker runs it earlier. Publishing the same job
   * twice delivers it twice: the transport does not deduplicate (the engine does).
   */
  async publish(jobs: readonly NodeJob[], options: { delayMs?: number } = {}): Promise<void> {
    if (jobs.length === 0) return;
    const enqueuedAt = new Date();
    const delayMs = options.delayMs ?? 0;
    const notBefore = delayMs > 0 ? enqueuedAt.getTime() + delayMs : 0;
    await this.publishAll(jobs.map((job) => ({ exchange: "", routingKey: this.topology.queue, ...encodeJobMessage(job, { enqueuedAt, notBefore, deliveries: 0 }) })));
  }

  /**
   * Starts consuming on a channel of its own, at most `prefetch` unacknowledged jobs at a
   * time; resolves once the broker registered the consumer. Per job: decode and validate
   * (an undecodable or invalid message is dead-lettered), wait for its not-before time,
   * run `handler`, and only after it resolved acknowledge the message.
   */
  async consume(handler: RabbitMqJobHandler): Promise<void> {
    if (this.consumeChannel) throw new Error("consume() was already called on this queue");
    this.assertUsable();
    const channel = await this.connection.createChannel();
    this.consumeChannel = channel;
    this.watchChannel(channel, "consume");
    // Per consumer: the broker sends this consumer at most `prefetch` unacknowledged jobs,
    // so a busy worker leaves the rest of the queue to the others.
    try {
      await channel.prefetch(this.prefetch);
      const { consumerTag } = await channel.consume(this.topology.queue, (message) => this.onMessage(channel, message, handler), { noAck: false });
      this.consumerTag = consumerTag;
    } catch (error) {
      this.consumeChannel = undefined;
      await channel.close().catch(() => undefined);
      throw error;
    }
    this.logger.info("consuming jobs", { queue: this.topology.queue, prefetch: this.prefetch, consumerTag: this.consumerTag });
  }

  /**
   * Stops intake (cancels the consumer, returns delayed jobs not yet started to the queue),
   * waits up to `drainTimeoutMs` for in-flight handlers (one that finishes in time is still
   * acknowledged, and its follow-up jobs published), then closes the channels and the
   * connection it owns; jobs still unacknowledged return to the queue. Idempotent.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    const channel = this.consumeChannel;
    if (channel && this.consumerTag && this.lostError === undefined) {
      await settlesWithin(
        channel.cancel(this.consumerTag).catch((error: unknown) => this.logger.warn("cancelling the job consumer failed", { queue: this.topology.queue, error })),
        this.drainTimeoutMs,
      );
    }
    for (const [timer, message] of this.held) {
      clearTimeout(timer);
      this.settle(channel, message, "requeue");
    }
    this.held.clear();
    const drained = await settlesWithin(Promise.allSettled([...this.inFlight]), this.drainTimeoutMs);
    if (!drained) this.logger.warn("in-flight jobs did not finish before the drain timeout; they will be redelivered", { queue: this.topology.queue, count: this.inFlight.size });
    this.closing = true;
    // Closing a channel returns its unacknowledged messages to the queue.
    if (channel) await channel.close().catch(() => undefined);
    await this.publishChannel.close().catch(() => undefined);
    if (this.ownsConnection) await this.connection.close().catch(() => undefined);
    this.logger.info("job queue stopped", { queue: this.topology.queue });
  }

  private onMessage(channel: Channel, message: ConsumeMessage | null, handler: RabbitMqJobHandler): void {
    if (message === null) {
      // The broker cancelled the consumer (the queue was deleted): nothing more will come.
      if (!this.stopping) this.connectionLost(new Error(`the broker cancelled the consumer of queue ${this.topology.queue}`));
      return;
    }
    if (this.stopping) return this.settle(channel, message, "requeue");
    const decoded = decodeJobMessage(message.content, message.properties.headers);
    if ("reason" in decoded) {
      this.logger.warn("undecodable job dead-lettered", { queue: this.topology.queue, reason: decoded.reason, error: decoded.error, messageId: message.properties.messageId });
      return this.track(this.deadLetterThenAck(channel, message, decoded.reason, decoded.error, 0));
    }
    this.runWhenDue(channel, message, decoded, handler);
  }

  private runWhenDue(channel: Channel, message: ConsumeMessage, decoded: DecodedJobMessage, handler: RabbitMqJobHandler): void {
    const waitMs = decoded.notBefore - Date.now();
    if (waitMs <= 0) return this.track(this.handle(channel, message, decoded, handler));
    // TRADE-OFF: a delayed job (retry backoff) is held here, unacknowledged, until its
    // not-before time. It takes one of this consumer's `prefetch` slots meanwhile; the
    // other slots, and the other workers, keep taking jobs. Fine for retry backoffs of
    // seconds to minutes (below the broker's consumer_timeout, 30 min by default); a burst
    // of long delays would fill the slots (the topology's TTL delay queues avoid that but
    // dead-letter out of a classic queue at most once). A held job of a worker that dies
    // returns to the queue like any unacknowledged one.
    const timer = setTimeout(() => {
      this.held.delete(timer);
      if (this.stopping) return this.settle(channel, message, "requeue");
      // TRICKY: a timer may fire a millisecond early by the wall clock; check again.
      this.runWhenDue(channel, message, decoded, handler);
    }, waitMs);
    this.held.set(timer, message);
  }

  /** Runs the handler; acks after it resolved, else republishes (with backoff) or dead-letters, then acks. */
  private async handle(channel: Channel, message: ConsumeMessage, decoded: DecodedJobMessage, handler: RabbitMqJobHandler): Promise<void> {
    const { job } = decoded;
    const delivery = decoded.deliveries + 1;
    const fields = { queue: this.topology.queue, runId: job.runId, nodeId: job.nodeId, attempt: job.attempt, correlationId: job.correlationId, delivery };
    try {
      await handler(job, { enqueuedAt: decoded.enqueuedAt, delivery, redelivered: message.fields.redelivered });
    } catch (error) {
      if (delivery < this.maxDeliveries) {
        this.logger.warn("job handler failed; redelivering", { ...fields, retryInMs: this.redeliveryBackoffMs, error });
        return this.redeliver(channel, message, decoded, delivery);
      }
      this.logger.error("poison job dead-lettered", { ...fields, error });
      return this.deadLetterThenAck(channel, message, "handler-failed", error, delivery);
    }
    // The job's effect is durable: acknowledge.
    this.settle(channel, message, "ack");
  }

  /**
   * Republishes a failed job with `deliveries` failed runs and a not-before backoff, then
   * acknowledges the failed copy. The copy goes to the queue's tail: jobs published after
   * it may run first (the engine does not rely on order across jobs).
   * NOTE: republishing, not nack-with-requeue: a requeued message comes back at once (no
   * backoff) and the broker's delivery count would dead-letter it without the error.
   */
  private async redeliver(channel: Channel, message: ConsumeMessage, decoded: DecodedJobMessage, deliveries: number): Promise<void> {
    const notBefore = Date.now() + this.redeliveryBackoffMs;
    const copy = encodeJobMessage(decoded.job, { enqueuedAt: decoded.enqueuedAt, notBefore, deliveries }, withoutBrokerHeaders(message.properties.headers));
    try {
      await this.publishAll([{ exchange: "", routingKey: this.topology.queue, ...copy }]);
    } catch (error) {
      this.logger.error("republishing a failed job failed; returning it to the queue", { queue: this.topology.queue, runId: decoded.job.runId, nodeId: decoded.job.nodeId, error });
      return this.requeueLater(channel, message);
    }
    this.settle(channel, message, "ack");
  }

  /**
   * Publishes the message as it was to the dead-letter queue with the error in its headers,
   * and acknowledges it once the broker confirmed the copy (never before: a dead-letter
   * publish that fails returns the message to the queue instead).
   */
  private async deadLetterThenAck(channel: Channel, message: ConsumeMessage, reason: DeadLetterReason, error: unknown, deliveries: number): Promise<void> {
    const headers = deadLetterHeaders(message.properties.headers, { reason, error, deliveries, sourceQueue: this.topology.queue });
    const properties: Options.Publish = {
      persistent: true,
      contentType: message.properties.contentType as string | undefined,
      correlationId: message.properties.correlationId as string | undefined,
      messageId: randomUUID(),
      headers,
    };
    try {
      await this.publishAll([{ exchange: this.topology.deadLetterExchange, routingKey: this.topology.deadLetterQueue, content: message.content, properties }]);
    } catch (publishError) {
      this.logger.error("dead-lettering a job failed; returning it to the queue", { queue: this.topology.queue, reason, error: publishError });
      return this.requeueLater(channel, message);
    }
    this.settle(channel, message, "ack");
  }

  /**
   * Returns a message to the queue after the backoff (nack with requeue): for when its
   * republish or dead-letter copy could not be confirmed. The broker's delivery limit
   * bounds how often this can happen.
   */
  private requeueLater(channel: Channel, message: ConsumeMessage): Promise<void> {
    if (this.stopping) {
      this.settle(channel, message, "requeue");
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settle(channel, message, "requeue");
        resolve();
      }, this.redeliveryBackoffMs);
      timer.unref();
    });
  }

  /** Acks or requeues; on a closed channel the broker has requeued the message already. */
  private settle(channel: Channel | undefined, message: ConsumeMessage, how: "ack" | "requeue"): void {
    if (!channel || this.lostError !== undefined) return;
    try {
      if (how === "ack") channel.ack(message);
      else channel.nack(message, false, true);
    } catch (error) {
      this.logger.warn(`could not ${how} a job; the broker returns it to the queue`, { queue: this.topology.queue, deliveryTag: message.fields.deliveryTag, error });
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.logger.error("job handling failed unexpectedly", { queue: this.topology.queue, error }));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /**
   * Publishes on the confirm channel with `mandatory` (an unroutable message is returned,
   * not dropped) and resolves once the broker confirmed all of them; rejects if any was
   * nacked or returned.
   */
  private async publishAll(messages: readonly { exchange: string; routingKey: string; content: Buffer; properties: Options.Publish }[]): Promise<void> {
    this.assertUsable();
    const confirms: Promise<void>[] = [];
    for (const { exchange, routingKey, content, properties } of messages) {
      const messageId = properties.messageId ?? randomUUID();
      let wrote = true;
      confirms.push(
        new Promise<void>((resolve, reject) => {
          wrote = this.publishChannel.publish(exchange, routingKey, content, { ...properties, messageId, mandatory: true }, (error: unknown) => {
            const returned = this.returned.delete(messageId);
            if (error) reject(new Error(`RabbitMQ did not confirm a message to ${exchange || "queue"} ${routingKey}`, { cause: error }));
            else if (returned) reject(new Error(`RabbitMQ could not route a message to ${exchange ? `exchange ${exchange} with key` : "queue"} ${routingKey}: does it exist?`));
            else resolve();
          });
        }),
      );
      // Backpressure: the channel's buffer is full; let it drain (or close) before writing more.
      if (!wrote) await this.drained();
    }
    await Promise.all(confirms);
  }

  private drained(): Promise<void> {
    const channel = this.publishChannel;
    return new Promise((resolve) => {
      const done = () => {
        channel.off("drain", done);
        channel.off("close", done);
        resolve();
      };
      channel.once("drain", done);
      channel.once("close", done);
    });
  }

  private assertUsable(): void {
    if (this.lostError) throw new Error(`the RabbitMQ job queue lost its connection: ${this.lostError.message}`, { cause: this.lostError });
    if (this.closing) throw new Error("the RabbitMQ job queue is stopped");
  }

  private watchChannel(channel: Channel, role: "publish" | "consume"): void {
    // Channel errors (e.g. a refused ack) close the channel; the `close` that follows is what we act on.
    channel.on("error", (error: Error) => this.logger.warn(`rabbitmq ${role} channel error`, { queue: this.topology.queue, error }));
    channel.on("close", () => this.connectionLost(new Error(`RabbitMQ ${role} channel closed`)));
  }

  private connectionLost(error: Error): void {
    if (this.stopping || this.lostError !== undefined) return;
    this.lostError = error;
    // The broker returns what this consumer held unacknowledged (held delayed jobs too).
    for (const timer of this.held.keys()) clearTimeout(timer);
    this.held.clear();
    this.logger.error("rabbitmq connection lost; the job queue stops working (no reconnect)", { queue: this.topology.queue, error, inFlight: this.inFlight.size });
    try {
      this.options.onConnectionLost(error);
    } catch (callbackError) {
      this.logger.error("onConnectionLost threw", { queue: this.topology.queue, error: callbackError });
    }
  }
}

/** Connects with a clear error for a URL that does not parse (credentials never echoed). */
async function connectTo(url: string | undefined, clientId: string | undefined): Promise<ChannelModel> {
  if (!url) throw new Error("RabbitMqJobQueue needs a `url` or a `connection`");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("RabbitMQ URL does not parse: expected amqp://user:password@host:port/vhost");
  }
  if (parsed.protocol !== "amqp:" && parsed.protocol !== "amqps:") {
    throw new Error(`RabbitMQ URL has protocol "${parsed.protocol}": expected amqp: or amqps:`);
  }
  try {
    // CRITICAL: noDelay (TCP_NODELAY). amqplib leaves Nagle's algorithm on, and a publish
    // right after an ack then waits for the broker's delayed TCP ACK: ~30 ms per confirm.
    const connection = await connect(url, { noDelay: true, clientProperties: { connection_name: clientId ?? "taskflow-job-queue" } });
    // Until the queue's own listeners are attached: an `error` without a listener would throw.
    connection.on("error", () => undefined);
    return connection;
  } catch (error) {
    throw new Error(`could not connect to RabbitMQ at ${parsed.protocol}//${parsed.host}${parsed.pathname}`, { cause: error });
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}
