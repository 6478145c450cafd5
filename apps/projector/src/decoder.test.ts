import { randomUUID } from "node:crypto";
import avro from "avsc";
import { describe, expect, it } from "vitest";
import { loadAvroSchema } from "@taskflow/events";
import { encodeConfluentAvro, frameConfluent } from "@taskflow/kafka";
import { InteractionDecoder, UnknownSchemaIdError } from "./decoder.ts";

const schema = loadAvroSchema("interaction-event.avsc");
const V2_ID = 7;
const V1_ID = 3;
/** Version 1 of the contract: no correlationId. */
const v1Text = JSON.stringify({
  type: "record",
  name: "InteractionEvent",
  namespace: "com.taskflow.events",
  fields: [
    { name: "id", type: "string" },
    { name: "action", type: "string" },
    { name: "who", type: "string" },
    { name: "what", type: "string" },
    { name: "time", type: { type: "long", logicalType: "timestamp-millis" } },
  ],
});

function decoder(fetchWriterSchema: (id: number) => Promise<string> = async (id) => {
  if (id === V1_ID) return v1Text;
  throw new UnknownSchemaIdError(id);
}) {
  return new InteractionDecoder({ readerType: schema.type, readerSchemaId: V2_ID, fetchWriterSchema });
}

const time = new Date("2001-03-04T09:30:00.000Z");

describe("InteractionDecoder", () => {
  it("decodes records written with our schema", async () => {
    const id = randomUUID();
    const value = encodeConfluentAvro(V2_ID, schema.type, { id, action: "view", who: "a@example.com", what: "/a", time, correlationId: null });
    expect(await decoder().decode(value)).toEqual({ ok: true, event: { id, action: "view", what: "/a", time } });
  });

  it("reads v1 records through the writer schema found by the id in the header", async () => {
    const id = randomUUID().toUpperCase();
    const v1 = avro.Type.forSchema(JSON.parse(v1Text) as avro.Schema);
    const value = frameConfluent(V1_ID, v1.toBuffer({ id, action: "login", who: "a@example.com", what: "login", time: time.getTime() }));
    // Ids are compared in lower case: Cassandra returns uuids that way.
    expect(await decoder().decode(value)).toEqual({ ok: true, event: { id: id.toLowerCase(), action: "login", what: "login", time } });
  });

  it.each([
    ["an empty value", null],
    ["bytes without the Confluent header", Buffer.from("garbage")],
    ["an unknown schema id", frameConfluent(99, Buffer.from([1, 2, 3]))],
    ["a truncated body", frameConfluent(V2_ID, Buffer.from([2]))],
  ])("reports %s as poison", async (_name, value) => {
    const result = await decoder().decode(value);
    expect(result.ok).toBe(false);
  });

  it("reports an event that breaks the contract as poison", async () => {
    const value = encodeConfluentAvro(V2_ID, schema.type, { id: "not-a-uuid", action: "dance", who: "a", what: "b", time, correlationId: null });
    const result = await decoder().decode(value);
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/invalid InteractionEvent/) });
  });

  it("rejects (retriable) while the registry cannot be reached, then decodes", async () => {
    let up = false;
    const d = decoder(async (id) => {
      if (!up) throw new TypeError("fetch failed");
      return id === V1_ID ? v1Text : Promise.reject(new UnknownSchemaIdError(id));
    });
    const v1 = avro.Type.forSchema(JSON.parse(v1Text) as avro.Schema);
    const value = frameConfluent(V1_ID, v1.toBuffer({ id: randomUUID(), action: "view", who: "w", what: "/x", time: time.getTime() }));
    await expect(d.decode(value)).rejects.toMatchObject({ retriable: true });
    up = true;
    expect((await d.decode(value)).ok).toBe(true);
  });
});
