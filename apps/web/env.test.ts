import { describe, expect, it } from "vitest";
import { parseWebEnv } from "./env";

describe("web env", () => {
  it("applies the local stack's defaults", () => {
    const env = parseWebEnv({});
    expect(env.KAFKA_BROKERS).toEqual(["127.0.0.1:9092"]);
    expect(env.SCHEMA_REGISTRY_URL).toBe("http://127.0.0.1:8081/apis/ccompat/v7");
    expect(env.CASSANDRA_PORT).toBe(9042);
    expect(env.TRACKING_SEND_TIMEOUT_MS).toBe(1000);
    expect(env.SESSION_TTL_SECONDS).toBe(604_800);
    expect(env.TASKFLOW_CONTRACTS_DIR).toBeUndefined();
  });

  it("splits a broker list and coerces numbers", () => {
    const env = parseWebEnv({ KAFKA_BROKERS: "k1:9092, k2:9093", TRACKING_SEND_TIMEOUT_MS: "250" });
    expect(env.KAFKA_BROKERS).toEqual(["k1:9092", "k2:9093"]);
    expect(env.TRACKING_SEND_TIMEOUT_MS).toBe(250);
  });

  it.each([
    ["KAFKA_BROKERS", "localhost"],
    ["SCHEMA_REGISTRY_URL", "not a url"],
    ["REDIS_URL", "http://127.0.0.1:6379"],
    ["CASSANDRA_PORT", "ninety"],
    ["TRACKING_SEND_TIMEOUT_MS", "-1"],
    ["SESSION_TTL_SECONDS", "60"],
  ])("names the variable that does not parse: %s", (name, value) => {
    expect(() => parseWebEnv({ [name]: value })).toThrow(new RegExp(name));
  });
});
