import type { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import {
  createAvroValueEncoder,
  createProducer,
  jsonLinesLogger,
  noDelaySocketFactory,
  type AvroValueEncoder,
  type Logger,
  type Producer,
} from "@taskflow/kafka";
import type { LoadedAvroSchema } from "@taskflow/events";
import type { JobQueue, NodeJob } from "@taskflow/workflow";
import kafkajs, { type Consumer, type EachBatchPayload, type IHeaders, type KafkaMessage, type LogEntry } from "kafkajs";
import { deadLetterRecord, decodeAvroRecord, settlesWithin, sleep } from "./record-handling.ts";
import {
  JOB_HEADERS,
  fromNodeJobRecord,
  nodeJobSchema,
  toNodeJobRecord,
  valueSubject,
  workflowJobsTopic,
  type DeadLetterReason,
  type DecodedNodeJob,
} from "./workflow-messages.ts";

const { Kafka, logLevel } = kafkajs;

/** Options of {@link KafkaJobQueue.create}. */
export interface KafkaJobQueueOptions {
  /** Bootstrap brokers as `host:port`. */
  brokers: string[];
  /** Shown in broker logs, e.g. `taskflow-worker`. */
  clientId: string;
  /** The worker group: processes with the same id share the topic's partitions. */
  groupId: string;
  /** Registry client; the NodeJob schema id is looked up, never registered. */
  registry: Pick<SchemaRegistry, "getRegistryIdBySchema">;
  /** Jobs topic; defaults to the catalog's `taskflow-workflow-jobs`. */
  topic?: string;
  /** Dead-letter topic; defaults to the catalog's `dlq.taskflow-workflow-jobs`. */
  deadLetterTopic?: string;
  /**
   * Registry subject of the value schema; defaults to `<catalog jobs topic>-value`.
   * NOTE: separate from `topic` so tests can use their own topic with the real subject.
   */
  subject?: string;
  /** A shared producer (not disconnected by `stop()`); one is created and owned otherwise. */
  producer?: Producer;
  logger?: Logger;
  /** Handler runs per job before it is dead-lettered as a poison job (default 5). */
  maxDeliveries?: number;
  /** Pause of a partition before a failed job is redelivered (default 500 ms). */
  redeliveryBackoffMs?: number;
  /** How long `stop()` waits for in-flight handlers (default 10 s). */
  drainTimeoutMs?: number;
  /** Partitions handled in parallel by this process; jobs within one stay sequential (default 3). */
  partitionsConsumedConcurrently?: number;
  /** A new group starts at the earliest offset (default true): jobs published before the first worker are not lost. */
  fromBeginning?: boolean;
  /** kafkajs consumer session timeout (default 30 s). */
  sessionTimeoutMs?: number;
  /** kafkajs consumer heartbeat interval (default 3 s). */
  heartbeatIntervalMs?: number;
}

/** What the transport knows about one delivery, for metrics and logs. */
export interface JobDelivery {
  /** When the job was published (the scheduling-overhead metric starts here). */
  enqueuedAt: Date;
  partition: number;
  offset: string;
  /** 1 for the first handler run of this record in this process. */
  delivery: number;
}

/** A job handler; resolving means the job's effect is durable. */
export type JobHandler = (job: NodeJob, delivery: JobDelivery) => Promise<void>;

/**
 * {@link JobQueue} on Kafka: NodeJobs Avro-encoded (Confluent wire format) on the jobs
 * topic, keyed by run id, consumed by one group with at-least-once delivery: an offset
 * is committed only after the handler resolved.
 */
export class KafkaJobQueue implements JobQueue {
  private readonly logger: Logger;
  private readonly topic: string;
  private readonly deadLetterTopic: string;
  private readonly maxDeliveries: number;
  private readonly redeliveryBackoffMs: number;
  private readonly drainTimeoutMs: number;
  /** Failed handler runs per record (`partition:offset`), for the poison-job limit. */
  private readonly failedDeliveries = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private consumer: Consumer | undefined;
  private assignedPartitions: number[] = [];
  private stopping = false;
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly options: KafkaJobQueueOptions,
    private readonly producer: Producer,
    private readonly ownsProducer: boolean,
    private readonly encoder: AvroValueEncoder,
    private readonly schema: LoadedAvroSchema,
  ) {
    const catalog = workflowJobsTopic();
    this.logger = options.logger ?? jsonLinesLogger({ component: "kafka-job-queue" });
    this.topic = options.topic ?? catalog.name;
    this.deadLetterTopic = options.deadLetterTopic ?? catalog.deadLetter;
    this.maxDeliveries = options.maxDeliveries ?? 5;
    this.redeliveryBackoffMs = options.redeliveryBackoffMs ?? 500;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  }

  /**
   * Resolves the NodeJob schema id in the registry and connects the producer (unless one
   * is passed). Rejects if the schema is not registered or no broker answers.
   */
  static async create(options: KafkaJobQueueOptions): Promise<KafkaJobQueue> {
    const subject = options.subject ?? valueSubject(workflowJobsTopic().name);
    const schema = nodeJobSchema();
    const encoder = await createAvroValueEncoder(options.registry, subject, schema);
    const producer =
      options.producer ?? (await createProducer({ clientId: options.clientId, brokers: options.brokers, logger: options.logger }));
    return new KafkaJobQueue(options, producer, options.producer === undefined, encoder, schema);
  }

  /** The jobs topic's partitions this process currently owns (empty before the group is joined). */
  get partitions(): readonly number[] {
    return this.assignedPartitions;
  }

  /**
   * Publishes jobs keyed by run id and resolves once the broker acknowledged all of them
   * (acks = all, idempotent producer). With `delayMs`, each job carries a not-before time
   * and no worker runs it earlier.
   */
  async publish(jobs: readonly NodeJob[], options: { delayMs?: number } = {}): Promise<void> {
    if (jobs.length === 0) return;
    const now = new Date();
    const delayMs = options.delayMs ?? 0;
    const headers: IHeaders | undefined = delayMs > 0 ? { [JOB_HEADERS.notBefore]: String(now.getTime() + delayMs) } : undefined;
    await this.producer.send({
      topic: this.topic,
      messages: jobs.map((job) => ({
        // Keyed by run id: one run's jobs stay ordered on one partition, so one worker
        // of the group handles them in order; different runs spread over the group.
        key: job.runId,
        value: this.encoder.encode(toNodeJobRecord(job, now)),
        headers,
      })),
    });
  }

  /**
   * Joins the consumer group and starts handling jobs; resolves once consumption has
   * started. Per job: decode and validate (an undecodable or invalid record is
   * dead-lettered), wait for its not-before time, run `handler`, and only after it
   * resolved commit the offset. A rejected handler leaves the offset uncommitted and the
   * job is redelivered after a short pause, up to `maxDeliveries` runs; then it is
   * dead-lettered with the error, so a poison job never blocks its partition.
   */
  async consume(handler: JobHandler): Promise<void> {
    if (this.consumer) throw new Error("consume() was already called on this queue");
    if (this.stopping) throw new Error("the queue is stopped");
    const options = this.options;
    const kafka = new Kafka({
      socketFactory: noDelaySocketFactory,
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => this.logKafkajs(entry),
    });
    const consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
      allowAutoTopicCreation: false,
      // NOTE: a fetch returns as soon as a byte is there; this only bounds how long an
      // idle fetch holds up resuming a paused partition.
      maxWaitTimeInMs: 500,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assignedPartitions = [...(payload.memberAssignment[this.topic] ?? [])].sort((a, b) => a - b);
      this.logger.info("joined worker group", { groupId: options.groupId, topic: this.topic, partitions: this.assignedPartitions });
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error("job consumer crashed", { groupId: options.groupId, error: payload.error, restart: payload.restart });
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      eachBatchAutoResolve: false,
      // NOTE: kafkajs commits resolved offsets; we resolve only after the handler's
      // effect is durable. TRADE-OFF: commits go out every 50 jobs or 250 ms, not per
      // job (a request each): a crash redelivers at most that many jobs, which the
      // engine recognises as duplicates. Stopping commits what was resolved.
      autoCommit: true,
      autoCommitThreshold: 50,
      autoCommitInterval: 250,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
      eachBatch: (payload) => this.handleBatch(payload, handler),
    });
  }

  /**
   * Stops intake, waits up to `drainTimeoutMs` for in-flight handlers (a handler that
   * finishes in time still gets its offset committed), leaves the group and disconnects.
   * Idempotent: later calls return the same promise.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    for (const timer of this.resumeTimers) clearTimeout(timer);
    this.resumeTimers.clear();
    const drained = await settlesWithin(Promise.allSettled([...this.inFlight]), this.drainTimeoutMs);
    if (!drained) this.logger.warn("in-flight jobs did not finish before the drain timeout; they will be redelivered", { count: this.inFlight.size });
    try {
      // disconnect() stops the runner (the batch loop returns once its handler did), which
      // commits resolved offsets, then leaves the group so its partitions move at once.
      if (this.consumer && !(await settlesWithin(this.consumer.disconnect(), this.drainTimeoutMs))) {
        this.logger.warn("job consumer did not disconnect before the drain timeout");
      }
    } finally {
      if (this.ownsProducer) await this.producer.disconnect();
    }
  }

  private async handleBatch(payload: EachBatchPayload, handler: JobHandler): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const canContinue = () => !this.stopping && isRunning() && !isStale();
    for (const message of batch.messages) {
      if (!canContinue()) return;
      const decoded = this.decode(message);
      if ("reason" in decoded) {
        this.logger.warn("undecodable job dead-lettered", { partition: batch.partition, offset: message.offset, reason: decoded.reason, error: decoded.error });
        // CRITICAL: resolved only once the dead-letter record is acknowledged.
        if (!(await this.deadLetter(message, batch.partition, decoded.reason, decoded.error, 0))) return this.redeliverLater(payload, message.offset);
        resolveOffset(message.offset);
        await commitOffsetsIfNecessary();
        continue;
      }

      const notBefore = Number(message.headers?.[JOB_HEADERS.notBefore]?.toString() ?? 0);
      // TRADE-OFF: waiting here holds the whole partition (jobs of other runs behind this
      // one wait too). Acceptable for short retry backoffs (seconds); long delays belong
      // in a scheduler (a delay topic or a due-time table), not on the jobs topic.
      if (notBefore > Date.now() && !(await this.waitUntil(notBefore, heartbeat, canContinue))) return;

      const recordKey = `${batch.partition}:${message.offset}`;
      const delivery = (this.failedDeliveries.get(recordKey) ?? 0) + 1;
      const run = Promise.resolve().then(() => handler(decoded.job, { enqueuedAt: decoded.enqueuedAt, partition: batch.partition, offset: message.offset, delivery }));
      this.inFlight.add(run);
      // A handler may outlive the session timeout (slow node, long per-node timeout):
      // keep the membership alive while it runs. kafkajs throttles to heartbeatInterval.
      const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), 1_000);
      try {
        await run;
      } catch (error) {
        if (delivery < this.maxDeliveries) {
          this.failedDeliveries.set(recordKey, delivery);
          this.logger.warn("job handler failed; redelivering", { runId: decoded.job.runId, nodeId: decoded.job.nodeId, delivery, error });
          // Not resolved: rewind to this record and pause the partition briefly, so the
          // same job comes back (in order) without a hot loop.
          return this.redeliverLater(payload, message.offset);
        }
        this.logger.error("poison job dead-lettered", { runId: decoded.job.runId, nodeId: decoded.job.nodeId, delivery, error });
        if (!(await this.deadLetter(message, batch.partition, "handler-failed", error, delivery))) return this.redeliverLater(payload, message.offset);
      } finally {
        clearInterval(keepAlive);
        this.inFlight.delete(run);
      }
      this.failedDeliveries.delete(recordKey);
      // The job's effect is durable (or it is safely in the dead-letter topic): commit.
      resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  }

  private decode(message: KafkaMessage): DecodedNodeJob | { reason: DeadLetterReason; error: unknown } {
    const decoded = decodeAvroRecord(message, this.schema, this.encoder.schemaId, fromNodeJobRecord);
    return "value" in decoded ? decoded.value : decoded;
  }

  /** Sleeps until `notBefore`, heartbeating; `false` if the batch must be abandoned. */
  private async waitUntil(notBefore: number, heartbeat: () => Promise<void>, canContinue: () => boolean): Promise<boolean> {
    for (;;) {
      const remaining = notBefore - Date.now();
      if (remaining <= 0) return true;
      await sleep(Math.min(remaining, 250));
      if (!canContinue()) return false;
      await heartbeat();
    }
  }

  private redeliverLater(payload: EachBatchPayload, offset: string): void {
    const { topic, partition } = payload.batch;
    const resume = payload.pause();
    this.consumer?.seek({ topic, partition, offset });
    // While stopping, the record simply stays uncommitted for the next owner.
    if (this.stopping) return;
    const timer = setTimeout(() => {
      this.resumeTimers.delete(timer);
      resume();
    }, this.redeliveryBackoffMs);
    timer.unref();
    this.resumeTimers.add(timer);
  }

  private deadLetter(message: KafkaMessage, partition: number, reason: DeadLetterReason, error: unknown, deliveries: number): Promise<boolean> {
    return deadLetterRecord(this.producer, { deadLetterTopic: this.deadLetterTopic, sourceTopic: this.topic, partition, message, reason, error, deliveries }, this.logger);
  }

  private logKafkajs({ namespace, level, log }: LogEntry): void {
    const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
    const entry = { component: "kafkajs", namespace, groupId: this.options.groupId, ...fields };
    // NOTE: a stopping consumer's connection errors are expected noise.
    if (level === logLevel.ERROR && !this.stopping) this.logger.error(message, entry);
    else if (level <= logLevel.WARN) this.logger.warn(message, entry);
    else this.logger.debug(message, entry);
  }
}
