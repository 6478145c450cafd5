import kafkajs from "kafkajs";
import { describe, expect, it } from "vitest";
import { KafkaSendError } from "./errors.ts";
import { silentLogger } from "./logger.ts";
import { createProducer, DEFAULT_SEND_RETRY, safeProducerConfig } from "./producer.ts";

describe("safeProducerConfig", () => {
  it("is idempotent with one request in flight and an explicit partitioner by default", () => {
    const config = safeProducerConfig();
    expect(config.idempotent).toBe(true);
    expect(config.maxInFlightRequests).toBe(1);
    expect(config.createPartitioner).toBe(kafkajs.Partitioners.DefaultPartitioner);
    expect(config.allowAutoTopicCreation).toBe(false);
    expect(config.retry).toEqual(DEFAULT_SEND_RETRY);
  });

  it("applies the safety settings after overrides, so config cannot weaken them", () => {
    const config = safeProducerConfig({ idempotent: false, maxInFlightRequests: 50, retry: { retries: 1 }, metadataMaxAge: 10_000 });
    expect(config.idempotent).toBe(true);
    expect(config.maxInFlightRequests).toBe(1);
    expect(config.retry).toEqual({ retries: 1 });
    expect(config.metadataMaxAge).toBe(10_000);
  });
});

describe("createProducer", () => {
  it("rejects with a retriable error when no broker answers", async () => {
    // Port 9 (discard) is closed here: connection refused, no Kafka needed.
    const failure = createProducer({
      clientId: "unit-test",
      brokers: ["127.0.0.1:9"],
      logger: silentLogger,
      client: { connectionTimeout: 200, retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 } },
    });
    await expect(failure).rejects.toBeInstanceOf(KafkaSendError);
    await expect(failure).rejects.toMatchObject({ retriable: true });
  });
});
