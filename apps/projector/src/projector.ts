import type cassandra from "cassandra-driver";
import kafkajs, { type Batch, type Consumer, type EachBatchPayload, type LogEntry } from "kafkajs";
import { connectCassandra, type CassandraConnectionOptions } from "@taskflow/cassandra";
import { loadAvroSchema, topicByKey, valueSubject, type TopicSpec } from "@taskflow/events";
import { createSchemaRegistry, resolveSchemaId, type Logger } from "@taskflow/kafka";
import { CassandraProjectionStore } from "./cassandra-store.ts";
import { InteractionDecoder, registrySchemaFetcher } from "./decoder.ts";
import { ProjectorMetrics } from "./metrics.ts";
import { PartitionProjector, type ProjectionStore } from "./partition-projector.ts";
import { positionBatch, type SourceRecord } from "./projection.ts";

const { Kafka, logLevel } = kafkajs;

/** Options of {@link startProjector}; `main.ts` fills them from env.ts. */
export interface ProjectorOptions {
  /** Bootstrap brokers as `host:port`. */
  brokers: string[];
  /** Confluent-compatible registry API (Apicurio's ccompat endpoint). */
  registryUrl: string;
  cassandra: CassandraConnectionOptions;
  /**
   * The consumer group. CRITICAL: one group per projection; two groups projecting the same
   * topic would both write the same rows. The group only assigns partitions: the position
   * that counts is the offset stored with the rollups.
   */
  groupId: string;
  /** Records per logged batch (counts + their ids + the offset). Keep the batch small: Cassandra warns above 5 KiB. */
  batchSize: number;
  /** How long the group waits for a silent member before giving its partitions to another. */
  sessionTimeoutMs: number;
  logger: Logger;
  clientId?: string;
  /** Where kafka/ lives, when module paths do not lead there. */
  contractsDir?: string;
  /** Called when the consumer stops for good (kafkajs will not restart it): the process should exit non-zero. */
  onFatal?: (error: unknown) => void;
}

export interface HealthReport {
  ok: boolean;
  consumer: "starting" | "running" | "crashed" | "stopped";
  cassandraConnected: boolean;
  assignedPartitions: number[];
  /** Seconds since the consumer last fetched (it fetches at least every few seconds when idle). */
  secondsSinceFetch: number | null;
}

/** A running projector. */
export interface Projector {
  readonly metrics: ProjectorMetrics;
  health(): HealthReport;
  /** Stops consuming (the batch in flight finishes), then disconnects; idempotent. */
  stop(): Promise<void>;
}

/** Per assigned partition: its projector and how far it got positioning itself. */
interface PartitionSlot {
  projector: PartitionProjector;
  /** Whether this assignment has been positioned at the stored offset. */
  positioned: boolean;
  /** Whether a seek to the stored offset was already requested. */
  sought: boolean;
}

/** A consumer that is silent for longer than this (it fetches every ≤ 5 s) is unhealthy. */
const FETCH_STALE_SECONDS = 30;

/**
 * Starts the analytics projector: resolves the InteractionEvent schema id, connects to
 * Cassandra and joins the consumer group on `taskflow-interactions`. Resolves once the
 * consumer has joined; rejects (after closing what it opened) if any of that fails.
 */
export async function startProjector(options: ProjectorOptions): Promise<Projector> {
  const { logger } = options;
  const topic: TopicSpec = topicByKey("interactions", options.contractsDir);
  if (!topic.valueSchema) throw new Error(`topic ${topic.name} has no valueSchema in kafka/topics.json`);
  const schema = loadAvroSchema(topic.valueSchema, options.contractsDir);
  const registry = createSchemaRegistry({ url: options.registryUrl, clientId: options.clientId ?? "taskflow-projector" });
  const readerSchemaId = await resolveSchemaId(registry, valueSubject(topic.name), schema.canonical);
  const decoder = new InteractionDecoder({ readerType: schema.type, readerSchemaId, fetchWriterSchema: registrySchemaFetcher(options.registryUrl) });

  const client = await connectCassandra(options.cassandra);
  try {
    const store = new CassandraProjectionStore(client, topic.name);
    const runner = new ProjectorRunner(options, topic, decoder, store, client);
    await runner.start();
    logger.info("projector started", { topic: topic.name, groupId: options.groupId, schemaId: readerSchemaId, batchSize: options.batchSize });
    return runner;
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    throw error;
  }
}

class ProjectorRunner implements Projector {
  readonly metrics = new ProjectorMetrics();
  readonly #options: ProjectorOptions;
  readonly #topic: TopicSpec;
  readonly #decoder: InteractionDecoder;
  readonly #store: ProjectionStore;
  readonly #client: cassandra.Client;
  readonly #consumer: Consumer;
  /** Slots of the current assignment; cleared on every rebalance (another member may have moved the partitions on). */
  #slots = new Map<number, Promise<PartitionSlot>>();
  #assigned: number[] = [];
  #status: HealthReport["consumer"] = "starting";
  #lastFetchAt: number | null = null;
  #stopping: Promise<void> | undefined;

  constructor(options: ProjectorOptions, topic: TopicSpec, decoder: InteractionDecoder, store: ProjectionStore, client: cassandra.Client) {
    this.#options = options;
    this.#topic = topic;
    this.#decoder = decoder;
    this.#store = store;
    this.#client = client;
    const kafka = new Kafka({
      clientId: options.clientId ?? "taskflow-projector",
      brokers: options.brokers,
      connectionTimeout: 3_000,
      logLevel: logLevel.WARN,
      logCreator: kafkajsLogCreator(options.logger),
    });
    this.#consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.min(3_000, Math.floor(options.sessionTimeoutMs / 3))),
      allowAutoTopicCreation: false,
      // An idle fetch returns after 1 s (default 5 s), so a stop does not wait long for it.
      maxWaitTimeInMs: 1_000,
      // A batch that fails (Cassandra or the registry unavailable) is fetched again with
      // backoff; after that kafkajs restarts the consumer, which rejoins and reloads state.
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
  }

  async start(): Promise<void> {
    const { events } = this.#consumer;
    this.#consumer.on(events.GROUP_JOIN, ({ payload }) => {
      // CRITICAL: forget every partition's state: while we were out of the group another
      // member may have projected them further. Each is reloaded on its next batch.
      this.#slots = new Map();
      this.#assigned = [...(payload.memberAssignment[this.#topic.name] ?? [])].sort((a, b) => a - b);
      this.#status = "running";
      this.#options.logger.info("partitions assigned", { topic: this.#topic.name, partitions: this.#assigned, memberId: payload.memberId });
    });
    this.#consumer.on(events.FETCH, () => {
      this.#lastFetchAt = Date.now();
    });
    this.#consumer.on(events.CRASH, ({ payload }) => {
      this.#slots = new Map();
      this.#options.logger.error("consumer crashed", { error: payload.error, restart: payload.restart });
      if (!payload.restart && !this.#stopping) {
        this.#status = "crashed";
        this.#options.onFatal?.(payload.error);
      }
    });
    await this.#consumer.connect();
    try {
      // fromBeginning: a group without committed offsets starts at the earliest record; in
      // any case each partition is positioned at the offset stored with the rollups.
      await this.#consumer.subscribe({ topics: [this.#topic.name], fromBeginning: true });
      await this.#consumer.run({
        autoCommit: true,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
    } catch (error) {
      await this.#consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  health(): HealthReport {
    const secondsSinceFetch = this.#lastFetchAt === null ? null : (Date.now() - this.#lastFetchAt) / 1000;
    const cassandraConnected = this.#client.getState().getConnectedHosts().length > 0;
    const fresh = secondsSinceFetch !== null && secondsSinceFetch < FETCH_STALE_SECONDS;
    return {
      ok: this.#status === "running" && fresh && cassandraConnected,
      consumer: this.#status,
      cassandraConnected,
      assignedPartitions: this.#assigned,
      secondsSinceFetch: secondsSinceFetch === null ? null : Math.round(secondsSinceFetch * 10) / 10,
    };
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const { logger } = this.#options;
      logger.info("projector stopping");
      let failure: unknown;
      try {
        // Waits for the batch in flight; its writes are atomic, so stopping anywhere is safe.
        await this.#consumer.disconnect();
      } catch (error) {
        failure = error;
        logger.error("consumer did not disconnect cleanly", { error });
      }
      this.#status = "stopped";
      await this.#client.shutdown().catch((error: unknown) => {
        failure ??= error;
        logger.error("cassandra client did not shut down cleanly", { error });
      });
      if (failure) throw failure;
      logger.info("projector stopped", { records: this.metrics.records, batchesWritten: this.metrics.batchesWritten });
    })();
    return this.#stopping;
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    if (batch.isEmpty()) return;
    const slots = this.#slots;
    let slot: PartitionSlot;
    try {
      slot = await this.#slotFor(slots, batch.partition);
    } catch (error) {
      this.metrics.batchErrors++;
      throw error;
    }
    if (!slot.positioned && !this.#position(slot, batch)) return;

    const { batchSize, logger } = this.#options;
    for (let start = 0; start < batch.messages.length; start += batchSize) {
      // Stop between chunks on shutdown, on a seek, or when a rebalance replaced the slots.
      if (!isRunning() || isStale() || slots !== this.#slots) return;
      const messages = batch.messages.slice(start, start + batchSize);
      const records: SourceRecord[] = [];
      try {
        for (const message of messages) {
          const decoded = await this.#decoder.decode(message.value);
          if (!decoded.ok) {
            // Poison: it can never decode. Connect dead-letters the same record into
            // dlq.taskflow-interactions; here it is logged, counted and skipped.
            logger.warn("skipping undecodable record", { topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key?.toString("utf8"), reason: decoded.reason });
          }
          records.push({ offset: Number(message.offset), event: decoded.ok ? decoded.event : null });
        }
        const { stats, written } = await slot.projector.project(records);
        this.metrics.add(stats, written);
      } catch (error) {
        this.metrics.batchErrors++;
        logger.warn("projecting a batch failed; it will be retried", { partition: batch.partition, offset: messages[0]?.offset, error });
        throw error;
      }
      resolveOffset(messages[messages.length - 1]!.offset);
      await heartbeat();
    }
    // NOTE: the group's committed offset only shows lag; the stored offset is the position.
    await commitOffsetsIfNecessary();
  }

  /**
   * Positions a freshly assigned partition at its stored offset. Returns false when the
   * batch must be dropped (a seek was requested).
   */
  #position(slot: PartitionSlot, batch: Batch): boolean {
    const { logger } = this.#options;
    const stored = slot.projector.nextOffset;
    const firstOffset = Number(batch.firstOffset());
    const decision = positionBatch(stored, firstOffset, slot.sought);
    if (decision === "seek") {
      slot.sought = true;
      logger.info("seeking to the stored offset", { partition: batch.partition, storedOffset: stored ?? 0, fetchedFrom: firstOffset });
      this.#consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(stored ?? 0) });
      return false;
    }
    if (decision === "gap") {
      // The records between the stored offset and the first one available are gone
      // (retention): the rollups cannot include them.
      const level = stored === null ? "info" : "error";
      logger[level]("projecting from the first available offset", { partition: batch.partition, storedOffset: stored, firstAvailable: firstOffset });
    }
    slot.positioned = true;
    return true;
  }

  #slotFor(slots: Map<number, Promise<PartitionSlot>>, partition: number): Promise<PartitionSlot> {
    let slot = slots.get(partition);
    if (!slot) {
      slot = PartitionProjector.load(this.#store, partition).then((projector) => {
        this.#options.logger.info("partition state loaded", { partition, storedOffset: projector.nextOffset });
        return { projector, positioned: false, sought: false };
      });
      slots.set(partition, slot);
      // A failed load is forgotten, so the retried batch loads again.
      slot.catch(() => {
        if (slots.get(partition) === slot) slots.delete(partition);
      });
    }
    return slot;
  }
}

/** Routes kafkajs' log lines into our JSON logger. */
export function kafkajsLogCreator(logger: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const entry = { component: "kafkajs", namespace, ...fields };
      if (level === logLevel.ERROR) logger.error(message, entry);
      else if (level === logLevel.WARN) logger.warn(message, entry);
      else if (level === logLevel.INFO) logger.info(message, entry);
      else logger.debug(message, entry);
    };
}
