/**
 * The conformance suite's view of a transport (issue #6): the same proofs run once per
 * transport against real services, each on its own jobs topic/queue, events topic,
 * consumer group, Redis prefix and — for RabbitMQ — PostgreSQL schema, so test files
 * neither see nor disturb each other or a worker of the stack.
 */
import { DEAD_LETTER_HEADERS, RABBITMQ_DEAD_LETTER_HEADERS, jobsTopology } from "@taskflow/workflow-adapters";
import { connect, type Channel, type ChannelModel } from "amqplib";
import type { Consumer, Kafka } from "kafkajs";
import { createTestSchema, type TestSchema } from "../../../../packages/workflow-adapters/src/postgres/integration-test-support.ts";
import { testKafka } from "../../../../tests/support/services.ts";
import type { WorkerConfig } from "../worker.ts";
import { createTopics, deleteTopics, proofNames, waitFor, workerConfig, type ProofNames } from "./proof-support.ts";

export const PROOF_TRANSPORTS = ["kafka", "rabbitmq"] as const;
export type ProofTransport = (typeof PROOF_TRANSPORTS)[number];

export const RABBITMQ_URL = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";

/** A dead-lettered job as both transports record it (headers). */
export interface DeadLetter {
  reason: string;
  errorMessage: string;
  deliveries: string;
  /** The message body as it was. */
  body: string;
  /** The jobs topic (Kafka) or queue (RabbitMQ) it was dead-lettered from; compare with `TransportHarness.jobsSource`. */
  source: string;
  /** Kafka only: the jobs-topic partition it came from. */
  partition?: number;
  /** When it was dead-lettered (the dead-letter record's timestamp on Kafka, the header on RabbitMQ). */
  at: Date;
}

export interface TransportHarness {
  transport: ProofTransport;
  names: ProofNames;
  /** Where the workers' jobs travel: the jobs topic (Kafka) or queue (RabbitMQ). */
  jobsSource: string;
  /** Creates the topics/queue/schema; call in beforeAll. */
  setUp(): Promise<void>;
  /** Deletes what setUp made; call in afterAll after the workers stopped. */
  tearDown(): Promise<void>;
  /** An in-process worker on this transport and the test's names. */
  workerConfig(workerId: string, extra?: Partial<WorkerConfig>): WorkerConfig;
  /** The environment of a worker process (testing/worker-process.ts) on this transport. */
  workerProcessEnv(): Record<string, string>;
  /** Puts `body` on the jobs topic/queue as it is (malformed or poison jobs); `key` routes it on Kafka. */
  publishRaw(body: Buffer, key: string): Promise<void>;
  /** Waits until at least `count` jobs were dead-lettered and returns them all. */
  deadLetters(count: number, timeoutMs?: number): Promise<DeadLetter[]>;
}

/** The harness of `transport` for a test file labelled `label`. */
export function transportHarness(transport: ProofTransport, label: string, options: { jobsPartitions?: number } = {}): TransportHarness {
  return transport === "kafka" ? kafkaHarness(label, options.jobsPartitions ?? 6) : rabbitMqHarness(label);
}

function kafkaHarness(label: string, jobsPartitions: number): TransportHarness {
  const names = proofNames(`${label}-kafka`);
  const kafka: Kafka = testKafka(`it-${label}-kafka`);
  const dead: DeadLetter[] = [];
  let collector: Consumer | undefined;
  return {
    transport: "kafka",
    names,
    jobsSource: names.jobsTopic,
    setUp: () => createTopics(kafka, names, jobsPartitions),
    async tearDown() {
      await collector?.disconnect();
      await deleteTopics(kafka, names);
    },
    workerConfig: (workerId, extra = {}) => workerConfig(names, workerId, { transport: { kind: "kafka" }, ...extra }),
    workerProcessEnv: () => ({ WORKFLOW_TRANSPORT: "kafka", WORKER_GROUP_ID: names.groupId }),
    async publishRaw(body, key) {
      const producer = kafka.producer();
      await producer.connect();
      try {
        await producer.send({ topic: names.jobsTopic, messages: [{ key, value: body }] });
      } finally {
        await producer.disconnect();
      }
    },
    async deadLetters(count, timeoutMs = 30_000) {
      if (!collector) {
        collector = kafka.consumer({ groupId: `${names.groupId}-dlq-reader`, maxWaitTimeInMs: 200 });
        await collector.connect();
        await collector.subscribe({ topic: names.deadLetterTopic, fromBeginning: true });
        await collector.run({
          eachMessage: async ({ message }) => {
            const header = (name: string) => message.headers?.[name]?.toString() ?? "";
            dead.push({
              reason: header(DEAD_LETTER_HEADERS.reason),
              errorMessage: header(DEAD_LETTER_HEADERS.errorMessage),
              deliveries: header(DEAD_LETTER_HEADERS.deliveries),
              body: message.value?.toString("latin1") ?? "",
              source: header(DEAD_LETTER_HEADERS.sourceTopic),
              partition: Number(header(DEAD_LETTER_HEADERS.sourcePartition)),
              at: new Date(Number(message.timestamp)),
            });
          },
        });
      }
      return waitFor(`${count} dead letters on ${names.deadLetterTopic}`, () => (dead.length >= count ? [...dead] : undefined), timeoutMs);
    },
  };
}

function rabbitMqHarness(label: string): TransportHarness {
  const names = proofNames(`${label}-rabbitmq`);
  const topology = jobsTopology({ queue: `it-${label}-jobs-${names.suffix}` });
  const dead: DeadLetter[] = [];
  let schema: TestSchema | undefined;
  let connection: ChannelModel | undefined;
  let channel: Channel | undefined;
  const kafka = testKafka(`it-${label}-rabbitmq`);
  return {
    transport: "rabbitmq",
    names,
    jobsSource: topology.queue,
    async setUp() {
      // The events topic: the outbox relay publishes the run events there.
      await createTopics(kafka, names, 1);
      schema = await createTestSchema(label.replace(/[^a-z0-9]/gi, "_").toLowerCase());
      connection = await connect(RABBITMQ_URL);
      connection.on("error", () => undefined);
      channel = await connection.createChannel();
    },
    async tearDown() {
      if (channel) {
        for (const queue of [topology.queue, topology.deadLetterQueue]) await channel.deleteQueue(queue).catch(() => undefined);
        await channel.deleteExchange(topology.deadLetterExchange).catch(() => undefined);
      }
      await connection?.close().catch(() => undefined);
      await schema?.drop();
      await deleteTopics(kafka, names);
    },
    workerConfig(workerId, extra = {}) {
      if (!schema) throw new Error("setUp() first");
      return workerConfig(names, workerId, {
        transport: { kind: "rabbitmq", rabbitmqUrl: RABBITMQ_URL, databaseUrl: schema.url, jobsQueue: topology.queue, prefetch: 16 },
        ...extra,
      });
    },
    workerProcessEnv() {
      if (!schema) throw new Error("setUp() first");
      return { WORKFLOW_TRANSPORT: "rabbitmq", WORKER_GROUP_ID: names.groupId, DATABASE_URL: schema.url, RABBITMQ_URL, RABBITMQ_JOBS_QUEUE: topology.queue };
    },
    async publishRaw(body) {
      if (!channel) throw new Error("setUp() first");
      channel.sendToQueue(topology.queue, body, { persistent: true, contentType: "application/json" });
      // NOTE: a plain channel has no confirms; a round trip to the broker orders it after the publish.
      await channel.checkQueue(topology.queue);
    },
    async deadLetters(count, timeoutMs = 30_000) {
      return waitFor(
        `${count} dead letters in ${topology.deadLetterQueue}`,
        async () => {
          for (;;) {
            const message = await channel!.get(topology.deadLetterQueue, { noAck: true });
            if (!message) break;
            const header = (name: string) => String(message.properties.headers?.[name] ?? "");
            dead.push({
              reason: header(RABBITMQ_DEAD_LETTER_HEADERS.reason),
              errorMessage: header(RABBITMQ_DEAD_LETTER_HEADERS.errorMessage),
              deliveries: header(RABBITMQ_DEAD_LETTER_HEADERS.deliveries),
              body: message.content.toString("latin1"),
              source: header(RABBITMQ_DEAD_LETTER_HEADERS.sourceQueue),
              at: new Date(Number(message.properties.headers?.[RABBITMQ_DEAD_LETTER_HEADERS.deadLetteredAt] ?? 0)),
            });
          }
          return dead.length >= count ? [...dead] : undefined;
        },
        timeoutMs,
      );
    },
  };
}
