import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type cassandra from "cassandra-driver";
import { loadAvroSchema, topicByKey, valueSubject, type InteractionEvent } from "@taskflow/events";
import {
  createProducer,
  createSchemaRegistry,
  InteractionEmitter,
  resolveSchemaId,
  silentLogger,
  type Producer,
} from "@taskflow/kafka";
import { eventually, findInteraction, services, testCassandra } from "../support/services.ts";


/**
 * The real pipeline: producer → Kafka → Connect (Apicurio converter + our sink)
 * → Cassandra, asserted on the rows that land in both tables.
 */
const topic = topicByKey("interactions");
let producer: Producer;
let db: cassandra.Client;

beforeAll(async () => {
  producer = await createProducer({ clientId: "pipeline-it", brokers: [...services.kafkaBrokers], logger: silentLogger });
  db = await testCassandra();
});

afterAll(async () => {
  await producer?.disconnect();
  await db?.shutdown();
});

async function findByDay(event: InteractionEvent): Promise<cassandra.types.Row | undefined> {
  const day = event.time.toISOString().slice(0, 10);
  const result = await db.execute(
    "SELECT id, action, who, what, time FROM taskflow.interactions_by_day WHERE day = ? AND time = ? AND id = ?",
    [day, event.time, event.id],
    { prepare: true },
  );
  return result.first() ?? undefined;
}

describe("interaction events land in Cassandra", () => {
  it("writes what the project's emitter produces to the table by id and the table by day", async () => {
    const registry = createSchemaRegistry({ url: services.registryUrl });
    const emitter = await InteractionEmitter.create({ producer, registry, topic, logger: silentLogger });
    const event: InteractionEvent = {
      id: randomUUID(),
      action: "create",
      who: "pipeline@example.com",
      what: "a title with 'quotes', ; semicolons and <b>markup</b>",
      time: new Date(),
    };
    await emitter.emit(event, { timeoutMs: 10_000 });

    const row = await eventually("row in taskflow.interactions", () => findInteraction(db, event.id));
    expect({ action: row.get("action"), who: row.get("who"), what: row.get("what") }).toEqual({
      action: "create",
      who: "pipeline@example.com",
      what: event.what,
    });
    expect((row.get("time") as Date).getTime()).toBe(event.time.getTime());
    const byDay = await eventually("row in taskflow.interactions_by_day", () => findByDay(event));
    expect(byDay.get("action")).toBe("create");
  });

  it("decodes what @kafkajs/confluent-schema-registry encodes against the running registry", async () => {
    const registry = createSchemaRegistry({ url: services.registryUrl });
    const schema = loadAvroSchema(topic.valueSchema!);
    const id = await resolveSchemaId(registry, valueSubject(topic.name), schema.canonical);
    const time = new Date(Date.UTC(2026, 0, 2, 23, 59, 59, 999)); // a day boundary, in UTC
    const event = { id: randomUUID(), action: "view", who: "library@example.com", what: "/library", time: time.getTime() };
    // The library fetches the schema by id from the registry and encodes with its own avsc.
    const value = await registry.encode(id, event);
    await producer.send({ topic: topic.name, messages: [{ key: event.id, value }] });

    const row = await eventually("row from the library's bytes", () => findInteraction(db, event.id));
    expect(row.get("what")).toBe("/library");
    expect((row.get("time") as Date).toISOString()).toBe("2026-01-02T23:59:59.999Z");
    const byDay = await eventually("its row in 2026-01-02", () => findByDay({ ...event, action: "view", time }));
    expect(byDay.get("who")).toBe("library@example.com");
  });

  it("carries the correlation id into both rows, and still writes v1 records without one", async () => {
    const registry = createSchemaRegistry({ url: services.registryUrl });
    const emitter = await InteractionEmitter.create({ producer, registry, topic, logger: silentLogger });
    const correlationId = `req-${randomUUID()}`;
    const event: InteractionEvent = { id: randomUUID(), action: "login", who: "c@example.com", what: "login", time: new Date(), correlationId };
    await emitter.emit(event, { timeoutMs: 10_000 });
    const row = await eventually("row with correlation id", async () => {
      const r = await db.execute("SELECT correlation_id FROM taskflow.interactions WHERE id = ?", [event.id], { prepare: true });
      return r.first() ?? undefined;
    });
    expect(row.get("correlation_id")).toBe(correlationId);

    // A record written by a producer still on the first schema version (before
    // correlationId existed). Its schema is registered under a subject of its own:
    // the record carries the content id, which is all Connect's converter looks up.
    const current = JSON.parse(loadAvroSchema(topic.valueSchema!).canonical) as { fields: { name: string }[] };
    const v1Schema = { ...current, fields: current.fields.filter((f) => f.name !== "correlationId") };
    const registered = await fetch(`${services.registryUrl}/subjects/it-interaction-event-v1-value/versions`, {
      method: "POST",
      headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
      body: JSON.stringify({ schema: JSON.stringify(v1Schema) }),
    });
    expect(registered.status).toBe(200);
    const { id: v1Id } = (await registered.json()) as { id: number };
    const old = { id: randomUUID(), action: "view", who: "anonymous", what: "/v1", time: new Date() };
    await producer.send({ topic: topic.name, messages: [{ key: old.id, value: await registry.encode(v1Id, { ...old, time: old.time.getTime() }) }] });
    const oldRow = await eventually("v1 row", async () => {
      const r = await db.execute("SELECT what, correlation_id FROM taskflow.interactions WHERE id = ?", [old.id], { prepare: true });
      return r.first() ?? undefined;
    });
    expect(oldRow.get("what")).toBe("/v1");
    expect(oldRow.get("correlation_id")).toBeNull();
  });

  it("keeps one row per event id when the same event is delivered twice", async () => {
    const registry = createSchemaRegistry({ url: services.registryUrl });
    const emitter = await InteractionEmitter.create({ producer, registry, topic, logger: silentLogger });
    const event: InteractionEvent = { id: randomUUID(), action: "view", who: "anonymous", what: "/twice", time: new Date() };
    await emitter.emit(event, { timeoutMs: 10_000 });
    await emitter.emit(event, { timeoutMs: 10_000 });
    await eventually("row", () => findInteraction(db, event.id));
    const day = event.time.toISOString().slice(0, 10);
    const rows = await db.execute(
      "SELECT id FROM taskflow.interactions_by_day WHERE day = ? AND time = ? AND id = ?",
      [day, event.time, event.id],
      { prepare: true },
    );
    expect(rows.rowLength).toBe(1);
  });
});
