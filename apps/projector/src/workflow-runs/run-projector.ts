import type cassandra from "cassandra-driver";
import kafkajs, { type Consumer, type EachBatchPayload, type KafkaMessage } from "kafkajs";
import { connectCassandra, type CassandraConnectionOptions } from "@taskflow/cassandra";
import type { Logger } from "@taskflow/kafka";
import type { WorkflowEventRecord } from "@taskflow/workflow-adapters";
import { kafkajsLogCreator, type HealthReport } from "../projector.ts";
import { createWorkflowEventDecoder, type WorkflowEventDecodeResult } from "./run-events.ts";
import { RunProjectorMetrics } from "./run-metrics.ts";
import { CassandraRunProjectionStore, type RunProjectionStore } from "./run-status-store.ts";
import { mapWithConcurrency } from "./concurrency.ts";
import { settleRun, type RunSettlement } from "./settle-run.ts";

const { Kafka, logLevel } = kafkajs;

/** Options of {@link startRunProjector}; `main.ts` fills them from env.ts. */
export interface RunProjectorOptions {
  /** Bootstrap brokers as `host:port`. */
  brokers: string[];
  /** Confluent-compatible registry API (Apicurio's ccompat endpoint). */
  registryUrl: string;
  cassandra: CassandraConnectionOptions;
  /**
   * The consumer group (`taskflow-run-projector`). Its committed offsets are the
   * projection's position: they are committed only after the rows are written.
   */
  groupId: string;
  /** How long the group waits for a silent member before giving its partitions to another. */
  sessionTimeoutMs: number;
  /** Longest wait for the event store to fill a gap in a run's seqs (see `settleRun`). */
  gapWaitMs: number;
  logger: Logger;
  clientId?: string;
  /** Where kafka/ lives, when module paths do not lead there. */
  contractsDir?: string;
  /** A group without committed offsets starts at the earliest record (default true); false: at the end. */
  fromBeginning?: boolean;
  /** Records per chunk: its runs are read and written together, then its offsets resolved (default 200). */
  chunkSize?: number;
  /** Called when the consumer stops for good (kafkajs will not restart it): the process should exit non-zero. */
  onFatal?: (error: unknown) => void;
}

/** A running run projection. */
export interface RunProjector {
  readonly metrics: RunProjectorMetrics;
  health(): HealthReport;
  /** Stops consuming (the chunk in flight finishes or is abandoned unresolved), then disconnects; idempotent. */
  stop(): Promise<void>;
}

/** A consumer that is silent for longer than this (it fetches every ≤ 5 s) is unhealthy. */
const FETCH_STALE_SECONDS = 30;
/** Runs of a chunk read and written at once. */
const RUN_CONCURRENCY = 8;
/** Pause between two reads of the event store while a run waits for a missing event. */
const GAP_POLL_MS = 250;

/**
 * Starts the live run projection: resolves the WorkflowEvent schema id, connects to
 * Cassandra and joins the consumer group on `taskflow-workflow-events`. Resolves once the
 * consumer has joined; rejects (after closing what it opened) if any of that fails.
 */
export async function startRunProjector(options: RunProjectorOptions): Promise<RunProjector> {
  const clientId = options.clientId ?? "taskflow-run-projector";
  const decoder = await createWorkflowEventDecoder({ registryUrl: options.registryUrl, clientId, contractsDir: options.contractsDir });
  const client = await connectCassandra(options.cassandra);
  try {
    const runner = new RunProjectorRunner(options, clientId, decoder.topic.name, decoder.decode, new CassandraRunProjectionStore(client), client);
    await runner.start();
    options.logger.info("run projector started", { topic: decoder.topic.name, groupId: options.groupId, schemaId: decoder.schemaId });
    return runner;
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    throw error;
  }
}

class RunProjectorRunner implements RunProjector {
  readonly metrics = new RunProjectorMetrics();
  readonly #options: RunProjectorOptions;
  readonly #topic: string;
  readonly #decode: (message: KafkaMessage) => WorkflowEventDecodeResult;
  readonly #store: RunProjectionStore;
  readonly #client: cassandra.Client;
  readonly #consumer: Consumer;
  #assigned: number[] = [];
  #status: HealthReport["consumer"] = "starting";
  #lastFetchAt: number | null = null;
  #stopping: Promise<void> | undefined;

  constructor(
    options: RunProjectorOptions,
    clientId: string,
    topic: string,
    decode: (message: KafkaMessage) => WorkflowEventDecodeResult,
    store: RunProjectionStore,
    client: cassandra.Client,
  ) {
    this.#options = options;
    this.#topic = topic;
    this.#decode = decode;
    this.#store = store;
    this.#client = client;
    const kafka = new Kafka({ clientId, brokers: options.brokers, connectionTimeout: 3_000, logLevel: logLevel.WARN, logCreator: kafkajsLogCreator(options.logger) });
    this.#consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.min(3_000, Math.floor(options.sessionTimeoutMs / 3))),
      allowAutoTopicCreation: false,
      // An idle fetch returns after 1 s (default 5 s), so a stop does not wait long for it.
      maxWaitTimeInMs: 1_000,
      // A batch that fails (Cassandra unavailable) is fetched again with backoff; after
      // that kafkajs restarts the consumer, which rejoins and starts at the committed offset.
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
  }

  async start(): Promise<void> {
    const { events } = this.#consumer;
    this.#consumer.on(events.GROUP_JOIN, ({ payload }) => {
      this.#assigned = [...(payload.memberAssignment[this.#topic] ?? [])].sort((a, b) => a - b);
      this.#status = "running";
      this.#options.logger.info("partitions assigned", { topic: this.#topic, partitions: this.#assigned, memberId: payload.memberId });
    });
    this.#consumer.on(events.FETCH, () => {
      this.#lastFetchAt = Date.now();
    });
    this.#consumer.on(events.CRASH, ({ payload }) => {
      this.#options.logger.error("run projector consumer crashed", { error: payload.error, restart: payload.restart });
      if (!payload.restart && !this.#stopping) {
        this.#status = "crashed";
        this.#options.onFatal?.(payload.error);
      }
    });
    await this.#consumer.connect();
    try {
      await this.#consumer.subscribe({ topics: [this.#topic], fromBeginning: this.#options.fromBeginning ?? true });
      await this.#consumer.run({
        // NOTE: offsets are resolved only after the chunk's rows are written; the runner
        // commits the resolved ones after each batch.
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
      logger.info("run projector stopping");
      let failure: unknown;
      try {
        // Waits for the chunk in flight; a run waiting for a gap gives up at once.
        await this.#consumer.disconnect();
      } catch (error) {
        failure = error;
        logger.error("run projector consumer did not disconnect cleanly", { error });
      }
      this.#status = "stopped";
      await this.#client.shutdown().catch((error: unknown) => {
        failure ??= error;
        logger.error("cassandra client did not shut down cleanly", { error });
      });
      if (failure) throw failure;
      logger.info("run projector stopped", { events: this.metrics.events, rowsWritten: this.metrics.rowsWritten });
    })();
    return this.#stopping;
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    if (batch.isEmpty()) return;
    const { logger } = this.#options;
    const chunkSize = this.#options.chunkSize ?? 200;
    const running = () => isRunning() && !isStale() && !this.#stopping;
    for (let start = 0; start < batch.messages.length; start += chunkSize) {
      if (!running()) return;
      const messages = batch.messages.slice(start, start + chunkSize);
      // Keyed by run id: one run's events are in this partition, in the order produced.
      const byRun = new Map<string, WorkflowEventRecord[]>();
      for (const message of messages) {
        const decoded = this.#decode(message);
        if (!decoded.ok) {
          // Poison: it can never decode. Connect dead-letters the same record into
          // dlq.taskflow-workflow-events; here it is logged, counted and skipped.
          this.metrics.events.poison++;
          logger.warn("skipping undecodable workflow event", { topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key?.toString("utf8"), reason: decoded.reason });
          continue;
        }
        const events = byRun.get(decoded.event.runId);
        if (events) events.push(decoded.event);
        else byRun.set(decoded.event.runId, [decoded.event]);
      }
      let settlements: (RunSettlement | null)[];
      try {
        settlements = await mapWithConcurrency([...byRun], RUN_CONCURRENCY, ([runId, events]) =>
          settleRun(this.#store, runId, events, { gapWaitMs: this.#options.gapWaitMs, pollMs: GAP_POLL_MS, isRunning: running, heartbeat, logger }),
        );
      } catch (error) {
        this.metrics.batchErrors++;
        logger.warn("projecting workflow events failed; they will be retried", { partition: batch.partition, offset: messages[0]?.offset, error });
        throw error;
      }
      // Stopping during a gap wait: leave the chunk unresolved; it is delivered again.
      if (settlements.some((settlement) => settlement === null)) return;
      for (const settlement of settlements) this.#count(settlement!);
      this.metrics.lastProjectedAt = Date.now();
      resolveOffset(messages[messages.length - 1]!.offset);
      await heartbeat();
    }
    await commitOffsetsIfNecessary();
  }

  #count(settlement: RunSettlement): void {
    const { events } = this.metrics;
    events.applied += settlement.applied;
    events.duplicates += settlement.duplicates;
    events.fromStore += settlement.fromStore;
    if (settlement.written) this.metrics.rowsWritten++;
    if (settlement.gapWaited) this.metrics.gapWaits++;
    if (settlement.gapSkipped) this.metrics.gapsSkipped++;
  }
}
