import type { LoadedAvroSchema } from "@taskflow/events";
import { jsonLinesLogger, noDelaySocketFactory, type Logger, type Producer } from "@taskflow/kafka";
import kafkajs, { type Consumer, type EachBatchPayload, type LogEntry } from "kafkajs";
import { deadLetterRecord, decodeAvroRecord, settlesWithin } from "./record-handling.ts";

const { Kafka, logLevel } = kafkajs;

/** Options of {@link AvroTopicConsumer}. */
export interface AvroTopicConsumerOptions<T> {
  brokers: string[];
  clientId: string;
  groupId: string;
  topic: string;
  deadLetterTopic: string;
  schema: LoadedAvroSchema;
  /** Registry id of `schema` under the topic's subject; records with another id are undecodable. */
  schemaId: number;
  /** Validates a decoded value (zod); a throw dead-letters the record as `invalid`. */
  parse: (value: unknown) => T;
  /** Sends dead-letter records; owned by the caller. */
  producer: Producer;
  logger?: Logger;
  /** Handler runs per record before it is dead-lettered (default 5). */
  maxDeliveries?: number;
  /** Pause of the partition before a failed record is redelivered (default 500 ms). */
  redeliveryBackoffMs?: number;
  /** How long `stop()` waits for an in-flight handler (default 10 s). */
  drainTimeoutMs?: number;
  /** A new group starts at the earliest offset (default true). */
  fromBeginning?: boolean;
}

/** Where a handled record sits, for logs. */
export interface RecordMeta {
  partition: number;
  offset: string;
  key: string | undefined;
}

/**
 * A consumer of one Avro topic with the job queue's delivery rules: each record is
 * decoded and validated (undecodable/invalid → dead-letter topic with error headers,
 * never blocking the partition), handled, and its offset committed only after the
 * handler resolved (its effect is durable). A rejecting handler gets the record again
 * after a pause, up to `maxDeliveries` runs, then it is dead-lettered with the error.
 */
export class AvroTopicConsumer<T> {
  private readonly logger: Logger;
  private readonly failedDeliveries = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private consumer: Consumer | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private consuming = false;

  constructor(private readonly options: AvroTopicConsumerOptions<T>) {
    this.logger = options.logger ?? jsonLinesLogger({ component: "avro-topic-consumer", topic: options.topic });
  }

  /** Joins the group and starts handling records; resolves once consumption has started. */
  async start(handler: (value: T, meta: RecordMeta) => Promise<void>): Promise<void> {
    if (this.consumer) throw new Error(`consumer of ${this.options.topic} already started`);
    const { options } = this;
    const kafka = new Kafka({ socketFactory: noDelaySocketFactory, clientId: options.clientId, brokers: options.brokers, logLevel: logLevel.WARN, logCreator: () => (entry: LogEntry) => this.logKafkajs(entry) });
    const consumer = kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts the consumer after a retriable crash; otherwise it is gone for good.
      if (!payload.restart) this.consuming = false;
      this.logger.error("consumer crashed", { topic: options.topic, error: payload.error, restart: payload.restart });
    });
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      eachBatchAutoResolve: false,
      // NOTE: offsets are resolved only after the handler's effect is durable; commit at once.
      autoCommit: true,
      autoCommitThreshold: 1,
      eachBatch: (payload) => this.handleBatch(payload, handler),
    });
    this.consuming = true;
  }

  /** `true` from start until `stop()` or a crash kafkajs does not restart from (for health checks). */
  isConsuming(): boolean {
    return this.consuming && !this.stopping;
  }

  /** Stops intake, waits (bounded) for the in-flight handler, disconnects. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      for (const timer of this.resumeTimers) clearTimeout(timer);
      this.resumeTimers.clear();
      const timeout = this.options.drainTimeoutMs ?? 10_000;
      await settlesWithin(Promise.allSettled([...this.inFlight]), timeout);
      if (this.consumer && !(await settlesWithin(this.consumer.disconnect(), timeout))) this.logger.warn("consumer did not disconnect before the drain timeout", { topic: this.options.topic });
    })();
    return this.stopped;
  }

  private async handleBatch(payload: EachBatchPayload, handler: (value: T, meta: RecordMeta) => Promise<void>): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const { options } = this;
    for (const message of batch.messages) {
      if (this.stopping || !isRunning() || isStale()) return;
      const deadLetter = (reason: "undecodable" | "invalid" | "handler-failed", error: unknown, deliveries: number) =>
        deadLetterRecord(options.producer, { deadLetterTopic: options.deadLetterTopic, sourceTopic: batch.topic, partition: batch.partition, message, reason, error, deliveries }, this.logger);
      const decoded = decodeAvroRecord(message, options.schema, options.schemaId, options.parse);
      if ("reason" in decoded) {
        this.logger.warn("bad record dead-lettered", { topic: batch.topic, partition: batch.partition, offset: message.offset, reason: decoded.reason, error: decoded.error });
        if (!(await deadLetter(decoded.reason, decoded.error, 0))) return this.redeliverLater(payload, message.offset);
      } else {
        const recordKey = `${batch.partition}:${message.offset}`;
        const delivery = (this.failedDeliveries.get(recordKey) ?? 0) + 1;
        const run = handler(decoded.value, { partition: batch.partition, offset: message.offset, key: message.key?.toString() });
        this.inFlight.add(run);
        try {
          await run;
        } catch (error) {
          if (delivery < (options.maxDeliveries ?? 5)) {
            this.failedDeliveries.set(recordKey, delivery);
            this.logger.warn("record handler failed; redelivering", { topic: batch.topic, partition: batch.partition, offset: message.offset, delivery, error });
            return this.redeliverLater(payload, message.offset);
          }
          this.logger.error("record handler kept failing; dead-lettered", { topic: batch.topic, offset: message.offset, delivery, error });
          if (!(await deadLetter("handler-failed", error, delivery))) return this.redeliverLater(payload, message.offset);
        } finally {
          this.inFlight.delete(run);
        }
        this.failedDeliveries.delete(recordKey);
      }
      resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  }

  private redeliverLater(payload: EachBatchPayload, offset: string): void {
    const { topic, partition } = payload.batch;
    const resume = payload.pause();
    this.consumer?.seek({ topic, partition, offset });
    if (this.stopping) return;
    const timer = setTimeout(() => {
      this.resumeTimers.delete(timer);
      resume();
    }, this.options.redeliveryBackoffMs ?? 500);
    timer.unref();
    this.resumeTimers.add(timer);
  }

  private logKafkajs({ namespace, level, log }: LogEntry): void {
    const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
    const entry = { component: "kafkajs", namespace, groupId: this.options.groupId, ...fields };
    if (level === logLevel.ERROR && !this.stopping) this.logger.error(message, entry);
    else if (level <= logLevel.WARN) this.logger.warn(message, entry);
    else this.logger.debug(message, entry);
  }
}
