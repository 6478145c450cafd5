import kafkajs, { type KafkaConfig, type LogEntry, type Message, type ProducerConfig, type RecordMetadata } from "kafkajs";
import { KafkaSendError, isRetriable } from "./errors.ts";
import { jsonLinesLogger, type Logger } from "./logger.ts";
import { SendCoalescer } from "./send-coalescer.ts";
import { noDelaySocketFactory } from "./socket-factory.ts";

const { Kafka, Partitioners, logLevel } = kafkajs;

/** Options of {@link createProducer}. */
export interface ProducerOptions {
  /** Shown in broker logs and metrics, e.g. `taskflow-web`. */
  clientId: string;
  /** Bootstrap brokers as `host:port`. */
  brokers: string[];
  /** Where kafkajs and this wrapper log; JSON lines on the console by default. */
  logger?: Logger;
  /**
   * kafkajs client settings (connection/request timeouts, the retry policy used while
   * connecting, ssl, sasl). `brokers`, `clientId` and logging come from the fields above.
   */
  client?: Omit<KafkaConfig, "brokers" | "clientId" | "logCreator" | "logLevel">;
  /**
   * kafkajs producer settings. CRITICAL: `idempotent` and `maxInFlightRequests` are
   * overwritten by {@link safeProducerConfig}; `transactionalId` is not supported here.
   */
  producer?: Omit<ProducerConfig, "transactionalId" | "transactionTimeout">;
}

/** One record to send: the topic's name and its messages. */
export interface SendRecord {
  topic: string;
  messages: Message[];
}

/** A connected, idempotent producer. */
export interface Producer {
  /**
   * Resolves once every broker leader has acknowledged (acks = all); rejects with
   * {@link KafkaSendError}. Concurrent sends share requests ({@link SendCoalescer}).
   */
  send(record: SendRecord): Promise<RecordMetadata[]>;
  /** Idempotent; later `send()` calls reject with a fatal error. */
  disconnect(): Promise<void>;
}

/**
 * Retries for one `send()`: about 8 s of exponential backoff, then the call fails
 * with a retriable error and the caller decides (the durable outbox will retry).
 * NOTE: kafkajs' idempotent default is to retry forever, which would hold every
 * event of an outage in memory with no owner. Limiting it makes kafkajs warn once
 * that "EoS guarantees" may be invalidated: a record re-sent by the caller can be
 * a duplicate, which is harmless here because the event id is the message key and
 * part of every primary key downstream.
 */
export const DEFAULT_SEND_RETRY = { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000 } as const;

/**
 * The producer settings that must hold whatever the overrides say, applied last.
 * - idempotent: the broker de-duplicates kafkajs' own retries (and requires acks = all, set in `send`).
 * - maxInFlightRequests 1: kafkajs tracks sequence numbers optimistically and rolls
 *   them back on failure; one request in flight per connection keeps that correct
 *   (Kafka allows up to 5 with idempotence, kafkajs is safest with 1).
 */
export function safeProducerConfig(overrides: ProducerOptions["producer"] = {}): ProducerConfig {
  return {
    // Java-compatible murmur2 partitioner: the same key lands on the same partition
    // whichever client produced it. Passing it explicitly also silences kafkajs'
    // KAFKAJS_NO_PARTITIONER_WARNING, so no environment variable is needed.
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { ...DEFAULT_SEND_RETRY },
    allowAutoTopicCreation: false,
    ...overrides,
    idempotent: true,
    maxInFlightRequests: 1,
  };
}

/** acks = -1: every in-sync replica has the record before `send()` resolves. */
export const ACKS_ALL = -1;

/**
 * Creates an idempotent producer and resolves only once it is connected (and has
 * its producer id). Rejects, after kafkajs' connection retries, if no broker answers;
 * the half-made client is disconnected first.
 */
export async function createProducer(options: ProducerOptions): Promise<Producer> {
  const logger = options.logger ?? jsonLinesLogger({ component: "kafka" });
  let connected = false;
  const kafka = new Kafka({
    socketFactory: noDelaySocketFactory,
    connectionTimeout: 3_000,
    retry: { retries: 3, initialRetryTime: 300, maxRetryTime: 3_000 },
    ...options.client,
    brokers: options.brokers,
    clientId: options.clientId,
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator(logger, () => connected),
  });
  const producer = kafka.producer(safeProducerConfig(options.producer));
  try {
    await producer.connect();
    connected = true;
  } catch (error) {
    await producer.disconnect().catch(() => undefined);
    throw new KafkaSendError(`cannot connect to Kafka at ${options.brokers.join(",")}`, {
      retriable: isRetriable(error),
      cause: error,
    });
  }
  logger.info("kafka producer connected", { clientId: options.clientId, brokers: options.brokers });

  let disconnecting: Promise<void> | undefined;
  // acks and idempotence are fixed here, not taken from the records.
  const coalescer = new SendCoalescer((records) => producer.sendBatch({ topicMessages: [...records], acks: ACKS_ALL }));
  return {
    async send(record) {
      if (disconnecting) throw new KafkaSendError("producer is disconnected", { retriable: false });
      try {
        return await coalescer.send(record);
      } catch (error) {
        throw new KafkaSendError(`send to ${record.topic} failed`, { retriable: isRetriable(error), cause: error });
      }
    },
    disconnect() {
      disconnecting ??= producer.disconnect().then(() => logger.info("kafka producer disconnected", { clientId: options.clientId }));
      return disconnecting;
    },
  };
}

/**
 * Routes kafkajs' own log lines into our structured logger.
 * NOTE: until the first connect succeeds, kafkajs' errors are demoted to debug:
 * it logs several lines per attempt, and the failed `createProducer()` already
 * reports one retriable error for the whole attempt to its caller.
 */
function kafkajsLogCreator(logger: Logger, isConnected: () => boolean) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const entry = { component: "kafkajs", namespace, ...fields };
      if (level === logLevel.ERROR && isConnected()) logger.error(message, entry);
      else if (level === logLevel.WARN) logger.warn(message, entry);
      else if (level === logLevel.INFO) logger.info(message, entry);
      else logger.debug(message, entry);
    };
}
