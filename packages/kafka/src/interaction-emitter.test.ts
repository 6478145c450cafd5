import { loadAvroSchema, topicByKey, type InteractionEvent } from "@taskflow/events";
import type { RecordMetadata } from "kafkajs";
import { describe, expect, it, vi } from "vitest";
import { DeadlineExceededError, InvalidRecordError, KafkaSendError } from "./errors.ts";
import { InteractionEmitter } from "./interaction-emitter.ts";
import type { SendRecord } from "./producer.ts";
import { decodeConfluentAvro, encodeConfluentAvro } from "./wire-format.ts";

const topic = topicByKey("interactions");
const schema = loadAvroSchema("interaction-event.avsc");
const SCHEMA_ID = 7;
const encoder = { subject: "taskflow-interactions-value", schemaId: SCHEMA_ID, encode: (v: unknown) => encodeConfluentAvro(SCHEMA_ID, schema.type, v) };

const event: InteractionEvent = {
  id: "0b8f3f4e-8a5e-4d4b-9a3c-2f1e0d9c8b7a",
  action: "view",
  who: "anonymous",
  what: "/",
  time: new Date("2026-03-01T00:00:00.000Z"),
};

function ack(): RecordMetadata[] {
  return [{ topicName: topic.name, partition: 2, errorCode: 0, baseOffset: "41" }];
}

describe("InteractionEmitter", () => {
  it("sends the Avro-encoded event to taskflow-interactions keyed by event id", async () => {
    const send = vi.fn(async (_record: SendRecord) => ack());
    const emitter = new InteractionEmitter({ producer: { send }, encoder, topic });

    await expect(emitter.emit(event)).resolves.toEqual({ eventId: event.id, topic: "taskflow-interactions", partition: 2, offset: "41" });

    expect(send).toHaveBeenCalledTimes(1);
    const record = send.mock.calls[0]![0];
    expect(record.topic).toBe("taskflow-interactions");
    expect(record.messages).toHaveLength(1);
    expect(record.messages[0]!.key).toBe(event.id);
    expect(decodeConfluentAvro(record.messages[0]!.value as Buffer, schema.type, SCHEMA_ID)).toEqual({ ...event, correlationId: null });
  });

  it.each([
    ["an id that is not a UUID", { ...event, id: "42" }],
    ["an unknown action", { ...event, action: "click" }],
    ["an empty what", { ...event, what: "" }],
    ["a time that is not a Date", { ...event, time: "2026-03-01" }],
  ])("refuses %s without producing", async (_label, bad) => {
    const send = vi.fn(async () => ack());
    const emitter = new InteractionEmitter({ producer: { send }, encoder, topic });
    await expect(emitter.emit(bad as InteractionEvent)).rejects.toBeInstanceOf(InvalidRecordError);
    expect(send).not.toHaveBeenCalled();
  });

  it("gives up waiting at the deadline with a retriable error, and logs the late outcome with the event id", async () => {
    let finish!: (value: RecordMetadata[]) => void;
    const send = vi.fn(() => new Promise<RecordMetadata[]>((resolve) => (finish = resolve)));
    const info = vi.fn();
    const logger = { debug: vi.fn(), info, warn: vi.fn(), error: vi.fn() };
    const emitter = new InteractionEmitter({ producer: { send }, encoder, topic, logger });

    const emitted = emitter.emit(event, { timeoutMs: 20 });
    await expect(emitted).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(emitted).rejects.toMatchObject({ retriable: true });

    finish(ack());
    await vi.waitFor(() => expect(info).toHaveBeenCalledWith("interaction acknowledged after the deadline", expect.objectContaining({ eventId: event.id })));
  });

  it("passes the producer's classified failure through", async () => {
    const send = vi.fn(async () => {
      throw new KafkaSendError("send to taskflow-interactions failed", { retriable: true });
    });
    const emitter = new InteractionEmitter({ producer: { send }, encoder, topic });
    await expect(emitter.emit(event, { timeoutMs: 1000 })).rejects.toMatchObject({ retriable: true });
  });

  it("emitBatch sends many events in one produce request, each keyed by its id", async () => {
    const send = vi.fn(async (_record: SendRecord) => ack());
    const emitter = new InteractionEmitter({ producer: { send }, encoder, topic });
    const second = { ...event, id: "1c9e2b4a-7d3f-4e8a-9b2c-5f6e7d8c9a0b", what: "/about" };

    await expect(emitter.emitBatch([event, second])).resolves.toEqual({ topic: "taskflow-interactions", count: 2, partitions: [2] });
    expect(send).toHaveBeenCalledTimes(1);
    const { messages } = send.mock.calls[0]![0];
    expect(messages.map((m) => m.key)).toEqual([event.id, second.id]);
    expect(decodeConfluentAvro(messages[1]!.value as Buffer, schema.type, SCHEMA_ID)).toEqual({ ...second, correlationId: null });
  });

  it("emitBatch refuses the whole batch, producing nothing, when one event is invalid", async () => {
    const send = vi.fn(async () => ack());
    const emitter = new InteractionEmitter({ producer: { send }, encoder, topic });
    await expect(emitter.emitBatch([event, { ...event, id: "42" }])).rejects.toBeInstanceOf(InvalidRecordError);
    expect(send).not.toHaveBeenCalled();
  });
});
