import avro from "avsc";
import { loadAvroSchema, valueSubject, topicByKey } from "@taskflow/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidRecordError, SchemaNotRegisteredError } from "./errors.ts";
import { createAvroValueEncoder, createSchemaRegistry, resolveSchemaId } from "./registry.ts";
import { startFakeRegistry, type FakeRegistry } from "./test-helpers.ts";
import { decodeConfluentAvro, encodeConfluentAvro, frameConfluent, unframeConfluent } from "./wire-format.ts";

const schema = loadAvroSchema("interaction-event.avsc");
const subject = valueSubject(topicByKey("interactions").name);
const SCHEMA_ID = 258; // > 255 so the big-endian byte order shows in the header
const event = {
  id: "6f1c1f0e-4a7b-4b6e-9a53-0d7f7f0f5a11",
  action: "view",
  who: "anonymous",
  what: "/about",
  time: new Date("2026-03-01T12:34:56.789Z"),
  correlationId: "req-1",
};

/** The header built by hand from the spec: magic 0, then the id as int32 big-endian. */
function handMadeHeader(id: number): Buffer {
  return Buffer.from([0, (id >>> 24) & 0xff, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff]);
}

describe("Confluent wire format", () => {
  it("frames an Avro body as magic 0 + 4-byte big-endian id + body", () => {
    const encoded = encodeConfluentAvro(SCHEMA_ID, schema.type, event);
    expect(encoded.subarray(0, 5)).toEqual(handMadeHeader(SCHEMA_ID));
    expect(encoded.subarray(5)).toEqual(schema.type.toBuffer(event));
    expect(unframeConfluent(encoded).schemaId).toBe(SCHEMA_ID);
  });

  it("round-trips time as a Date with our avsc type", () => {
    const decoded = decodeConfluentAvro<typeof event>(encodeConfluentAvro(SCHEMA_ID, schema.type, event), schema.type, SCHEMA_ID);
    expect(decoded).toEqual(event);
    expect(decoded.time).toBeInstanceOf(Date);
  });

  it("writes timestamp-millis as the Avro long of epoch milliseconds", () => {
    // A reader that ignores the logical type sees the plain long: what Connect's converter maps to a timestamp.
    const plain = avro.Type.forSchema(JSON.parse(schema.canonical) as avro.Schema);
    const body = unframeConfluent(encodeConfluentAvro(SCHEMA_ID, schema.type, event)).body;
    expect(plain.fromBuffer(body)).toMatchObject({ ...event, time: event.time.getTime() });
  });

  it("rejects a value that breaks the schema, and foreign framing", () => {
    expect(() => encodeConfluentAvro(SCHEMA_ID, schema.type, { ...event, time: "yesterday" })).toThrow(InvalidRecordError);
    expect(() => unframeConfluent(Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow(InvalidRecordError);
    expect(() => decodeConfluentAvro(frameConfluent(7, Buffer.alloc(0)), schema.type, SCHEMA_ID)).toThrow(/schema id 7/);
  });
});

describe("interop with @kafkajs/confluent-schema-registry (fake registry API, no real registry)", () => {
  let registry: FakeRegistry;
  beforeAll(async () => {
    registry = await startFakeRegistry({ [subject]: { id: SCHEMA_ID, schema: schema.canonical } });
  });
  afterAll(() => registry.close());

  it("looks the id up by the canonical schema text, never registering", async () => {
    const client = createSchemaRegistry({ url: registry.url });
    await expect(resolveSchemaId(client, subject, schema.canonical)).resolves.toBe(SCHEMA_ID);
    expect(registry.requests).toContain(`POST /subjects/${subject}`);
    expect(registry.requests.some((r) => r.includes("/versions"))).toBe(false);
  });

  it("reports a schema that setup did not register as SchemaNotRegisteredError (fatal)", async () => {
    const client = createSchemaRegistry({ url: registry.url });
    const other = JSON.stringify({ ...JSON.parse(schema.canonical), doc: "changed" });
    const missingSchema = resolveSchemaId(client, subject, other);
    await expect(missingSchema).rejects.toBeInstanceOf(SchemaNotRegisteredError);
    await expect(missingSchema).rejects.toMatchObject({ retriable: false });
    await expect(resolveSchemaId(client, "nope-value", schema.canonical)).rejects.toBeInstanceOf(SchemaNotRegisteredError);
  });

  it("reports an unreachable registry as retriable", async () => {
    const client = createSchemaRegistry({ url: "http://127.0.0.1:9", retries: 0 });
    await expect(resolveSchemaId(client, subject, schema.canonical)).rejects.toMatchObject({ retriable: true });
  });

  it("what we encode, the library decodes (time as epoch millis: it parses without our logical type)", async () => {
    const client = createSchemaRegistry({ url: registry.url });
    const encoder = await createAvroValueEncoder(client, subject, schema);
    const decoded: unknown = await client.decode(encoder.encode(event));
    expect(decoded).toEqual({ ...event, time: event.time.getTime() });
  });

  it("what the library encodes, we decode (time as Date)", async () => {
    const client = createSchemaRegistry({ url: registry.url });
    const libraryEncoded = await client.encode(SCHEMA_ID, { ...event, time: event.time.getTime() });
    expect(libraryEncoded.subarray(0, 5)).toEqual(handMadeHeader(SCHEMA_ID));
    expect(decodeConfluentAvro(libraryEncoded, schema.type, SCHEMA_ID)).toEqual(event);
  });
});
