import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Consumer, Producer } from "kafkajs";
import type cassandra from "cassandra-driver";
import { loadAvroSchema, topicByKey, valueSubject } from "@taskflow/events";
import {
  INTERACTIONS_CONNECTOR,
  connectorState,
  eventually,
  findInteraction,
  services,
  testCassandra,
  testKafka,
} from "../support/services.ts";

const topic = topicByKey("interactions");
const deadLetterTopic = topic.deadLetter!;

/** Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro body. */
function confluentFrame(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(0, 0);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

describe("records Connect cannot decode", () => {
  const kafka = testKafka(`dlq-test-${randomUUID()}`);
  let producer: Producer;
  let consumer: Consumer;
  let db: cassandra.Client;
  const received = new Map<string, Record<string, string>>();

  beforeAll(async () => {
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    db = await testCassandra();
    consumer = kafka.consumer({ groupId: `dlq-test-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: deadLetterTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        received.set(message.key?.toString() ?? "", headers);
      },
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await db?.shutdown();
  });

  it("sends garbage, unknown schema ids and truncated bodies to the dead-letter topic and keeps the connector running", async () => {
    const schema = loadAvroSchema("interaction-event.avsc");
    const registered = (await (
      await fetch(`${services.registryUrl}/subjects/${valueSubject(topic.name)}/versions/latest`)
    ).json()) as { id: number };
    const good = { id: randomUUID(), action: "view", who: "anonymous", what: "/after-poison", time: new Date() };
    const poison = {
      garbage: `garbage-${randomUUID()}`,
      unknownId: `unknown-id-${randomUUID()}`,
      truncated: `truncated-${randomUUID()}`,
    };
    await producer.send({
      topic: topic.name,
      acks: -1,
      // All on one partition, so the good record queues behind the poison ones.
      messages: [
        { partition: 0, key: poison.garbage, value: Buffer.from("this is not avro at all") },
        { partition: 0, key: poison.unknownId, value: confluentFrame(987_654_321, schema.type.toBuffer(good)) },
        { partition: 0, key: poison.truncated, value: confluentFrame(registered.id, schema.type.toBuffer(good).subarray(0, 10)) },
        { partition: 0, key: good.id, value: confluentFrame(registered.id, schema.type.toBuffer(good)) },
      ],
    });

    for (const key of Object.values(poison)) {
      const headers = await eventually(`${key} in ${deadLetterTopic}`, async () => received.get(key), 60_000);
      expect(headers["__connect.errors.topic"]).toBe(topic.name);
      expect(headers["__connect.errors.stage"]).toBe("VALUE_CONVERTER");
      expect(headers["__connect.errors.exception.message"]).toBeTruthy();
    }

    // The good record behind the poison ones still lands: the partition is not blocked.
    const row = await eventually("the good record's row", () => findInteraction(db, good.id), 60_000);
    expect(row.get("what")).toBe("/after-poison");
    expect(await connectorState(INTERACTIONS_CONNECTOR)).toEqual({ connector: "RUNNING", tasks: ["RUNNING"] });
  });
});
