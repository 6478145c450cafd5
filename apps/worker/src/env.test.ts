import { describe, expect, it } from "vitest";
import { parseWorkerEnv } from "./env.ts";

describe("worker env", () => {
  it("applies the local stack's defaults", () => {
    expect(parseWorkerEnv({}).KAFKA_BROKERS).toBe("127.0.0.1:9092");
  });

  it("names the variable that does not parse", () => {
    expect(() => parseWorkerEnv({ REDIS_URL: "not a url" })).toThrow(/REDIS_URL/);
  });
});
