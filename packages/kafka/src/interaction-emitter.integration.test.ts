import { randomUUID } from "node:crypto";
import { loadAvroSchema, topicByKey, valueSubject, type InteractionEvent, type TopicSpec } from "@taskflow/events";
import kafkajs from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "./logger.ts";
import { createProducer, type Producer } from "./producer.ts";
import { createSchemaRegistry } from "./registry.ts";
import { InteractionEmitter } from "./interaction-emitter.ts";
import { decodeConfluentAvro, unframeConfluent } from "./wire-format.ts";

/**
 * Against the real broker and registry (Apicurio's Confluent API): what the emitter
 * writes is readable by id through the registry and by our own avsc type.
 * A unique topic and subject per run, so the shared pipeline topic is untouched.
 */
// NOTE: a test, not an app: it reads the same variables apps/web/env.ts defines.
const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:8081/apis/ccompat/v7";

const interactions = topicByKey("interactions");
const topic: TopicSpec = { ...interactions, name: `it-interactions-${randomUUID().slice(0, 8)}`, partitions: 3 };
const schema = loadAvroSchema(interactions.valueSchema!);
const kafka = new kafkajs.Kafka({ clientId: "kafka-package-it", brokers, logLevel: kafkajs.logLevel.NOTHING });
let producer: Producer;
let registeredId: number;

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: topic.name, numPartitions: topic.partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  // The app never registers; here the test plays setup for its own subject.
  const response = await fetch(`${registryUrl}/subjects/${valueSubject(topic.name)}/versions`, {
    method: "POST",
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: JSON.stringify({ schema: schema.canonical }),
  });
  expect(response.ok).toBe(true);
  registeredId = ((await response.json()) as { id: number }).id;
  producer = await createProducer({ clientId: "kafka-package-it", brokers, logger: silentLogger });
});

afterAll(async () => {
  await producer?.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic.name] }).catch(() => undefined);
  await admin.disconnect();
  await fetch(`${registryUrl}/subjects/${valueSubject(topic.name)}`, { method: "DELETE" }).catch(() => undefined);
});

describe("InteractionEmitter against Kafka and the registry", () => {
  it("produces a Confluent-framed event keyed by id that both decoders read back", async () => {
    const registry = createSchemaRegistry({ url: registryUrl });
    const emitter = await InteractionEmitter.create({ producer, registry, topic, logger: silentLogger });
    expect(emitter.schemaId).toBe(registeredId);

    const event: InteractionEvent = { id: randomUUID(), action: "view", who: "anonymous", what: "/it", time: new Date() };
    const ack = await emitter.emit(event, { timeoutMs: 10_000 });
    expect(ack.eventId).toBe(event.id);

    const consumer = kafka.consumer({ groupId: `it-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: topic.name, fromBeginning: true });
    const received = await new Promise<kafkajs.KafkaMessage & { partition: number }>((resolve) => {
      void consumer.run({ eachMessage: async ({ message, partition }) => resolve({ ...message, partition }) });
    });
    await consumer.disconnect();

    expect(received.key?.toString()).toBe(event.id);
    expect(received.partition).toBe(ack.partition);
    const value = received.value!;
    expect(unframeConfluent(value).schemaId).toBe(registeredId);
    // correlationId was left out, so it travels as the schema's default (null).
    expect(decodeConfluentAvro(value, schema.type, registeredId)).toEqual({ ...event, correlationId: null });
    // The library fetches the writer schema by the id in the header from the registry.
    await expect(registry.decode(value)).resolves.toEqual({ ...event, correlationId: null, time: event.time.getTime() });
  });
});
