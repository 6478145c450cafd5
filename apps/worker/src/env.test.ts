import { describe, expect, it } from "vitest";
import { parseWorkerEnv } from "./env.ts";

describe("worker env", () => {
  it("applies the local stack's defaults", () => {
    expect(parseWorkerEnv({}).KAFKA_BROKERS).toBe("127.0.0.1:9092");
  });

  it("names the variable that does not parse", () => {
    expect(() => parseWorkerEnv({ REDIS_URL: "not a url" })).toThrow(/REDIS_URL/);
  });

  it("parses the worker's group, concurrency and HTTP settings", () => {
    const parsed = parseWorkerEnv({ WORKER_GROUP_ID: "g", WORKER_CONCURRENCY: "5", WORKER_HTTP_PORT: "0" });
    expect(parsed).toMatchObject({ WORKER_GROUP_ID: "g", WORKER_CONCURRENCY: 5, WORKER_HTTP_HOST: "127.0.0.1", WORKER_HTTP_PORT: 0 });
    expect(parsed.WORKER_ID).toBeUndefined();
    expect(parseWorkerEnv({}).WORKER_HTTP_PORT).toBe(3300);
    expect(() => parseWorkerEnv({ WORKER_CONCURRENCY: "0" })).toThrow(/WORKER_CONCURRENCY/);
  });

  it("parses the control and reconciler settings, booleans as an explicit enum", () => {
    expect(parseWorkerEnv({})).toMatchObject({ WORKER_CONSUME_CONTROL: "true", WORKER_RECONCILE_INTERVAL_MS: 10_000, WORKER_STALLED_THRESHOLD_SECONDS: 30 });
    expect(parseWorkerEnv({ WORKER_CONSUME_CONTROL: "false" }).WORKER_CONSUME_CONTROL).toBe("false");
    expect(() => parseWorkerEnv({ WORKER_CONSUME_CONTROL: "yes" })).toThrow(/WORKER_CONSUME_CONTROL/);
  });
});
