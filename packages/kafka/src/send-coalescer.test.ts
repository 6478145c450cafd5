import type { RecordMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";
import type { SendRecord } from "./producer.ts";
import { SendCoalescer, mergeByTopic } from "./send-coalescer.ts";

const record = (topic: string, ...values: string[]): SendRecord => ({ topic, messages: values.map((value) => ({ key: value, value })) });
const metadataOf = (records: readonly SendRecord[]): RecordMetadata[] => records.map((r) => ({ topicName: r.topic, partition: 0, errorCode: 0 }));

/** A fake request that completes when `release()` is called. */
function gatedSendBatch() {
  const requests: SendRecord[][] = [];
  const releases: (() => void)[] = [];
  const sendBatch = (records: readonly SendRecord[]) => {
    requests.push(records.map((r) => ({ topic: r.topic, messages: [...r.messages] })));
    return new Promise<RecordMetadata[]>((resolve) => releases.push(() => resolve(metadataOf(records))));
  };
  return { sendBatch, requests, release: () => releases.shift()?.() };
}

describe("SendCoalescer", () => {
  it("sends at once when idle, then everything that waited in one request, in call order per topic", async () => {
    const gate = gatedSendBatch();
    const coalescer = new SendCoalescer(gate.sendBatch);
    const first = coalescer.send(record("jobs", "j1"));
    const waiting = [coalescer.send(record("events", "e1")), coalescer.send(record("jobs", "j2")), coalescer.send(record("events", "e2"))];
    expect(gate.requests).toEqual([[record("jobs", "j1")]]);
    gate.release();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(gate.requests[1]).toEqual([record("events", "e1", "e2"), record("jobs", "j2")]);
    gate.release();
    const results = await Promise.all(waiting);
    expect(results.map((metadata) => metadata.map((m) => m.topicName))).toEqual([["events"], ["jobs"], ["events"]]);
  });

  it("retries a failed request record by record, so only the bad record's caller fails", async () => {
    let requests = 0;
    const coalescer = new SendCoalescer(async (records) => {
      requests++;
      if (requests === 1) return new Promise<RecordMetadata[]>((resolve) => setTimeout(() => resolve(metadataOf(records)), 5));
      if (records.some((r) => r.topic === "missing")) throw new Error("unknown topic");
      return metadataOf(records);
    });
    const first = coalescer.send(record("jobs", "j1"));
    const good = coalescer.send(record("jobs", "j2"));
    const bad = coalescer.send(record("missing", "x"));
    await first;
    await expect(good).resolves.toHaveLength(1);
    await expect(bad).rejects.toThrow("unknown topic");
    // The first request, the combined one that failed, then one per record.
    expect(requests).toBe(4);
  });

  it("caps the records per request", async () => {
    const gate = gatedSendBatch();
    const coalescer = new SendCoalescer(gate.sendBatch, 2);
    const sends = ["a", "b", "c", "d"].map((value) => coalescer.send(record("t", value)));
    gate.release();
    await new Promise((resolve) => setImmediate(resolve));
    gate.release();
    await new Promise((resolve) => setImmediate(resolve));
    gate.release();
    await Promise.all(sends);
    expect(gate.requests.map((request) => request[0]!.messages.map((m) => m.value))).toEqual([["a"], ["b", "c"], ["d"]]);
  });
});

describe("mergeByTopic", () => {
  it("keeps one entry per topic and the messages in call order", () => {
    expect(mergeByTopic([record("a", "1"), record("b", "2"), record("a", "3")])).toEqual([record("a", "1", "3"), record("b", "2")]);
  });
});
