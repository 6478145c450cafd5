import { describe, expect, it } from "vitest";
import { parseProjectorEnv } from "./env.ts";

describe("projector env", () => {
  it("applies the local stack's defaults", () => {
    const env = parseProjectorEnv({});
    expect(env.KAFKA_BROKERS).toEqual(["127.0.0.1:9092"]);
    expect(env.PROJECTOR_GROUP_ID).toBe("taskflow-analytics-projector");
    expect(env.PROJECTOR_BATCH_SIZE).toBe(100);
    expect(env.PROJECTOR_HTTP_PORT).toBe(3200);
    expect(env.PROJECTOR_RUNS_GROUP_ID).toBe("taskflow-run-projector");
    expect(env.PROJECTOR_RUNS_GAP_WAIT_MS).toBe(30_000);
  });

  it("treats an empty value as unset", () => {
    expect(parseProjectorEnv({ TASKFLOW_CONTRACTS_DIR: "" }).TASKFLOW_CONTRACTS_DIR).toBeUndefined();
  });

  it.each([
    ["KAFKA_BROKERS", "localhost"],
    ["PROJECTOR_BATCH_SIZE", "5000"],
    ["PROJECTOR_SESSION_TIMEOUT_MS", "10"],
    ["LOG_LEVEL", "verbose"],
    ["PROJECTOR_RUNS_GAP_WAIT_MS", "-1"],
  ])("names the variable that does not parse: %s", (name, value) => {
    expect(() => parseProjectorEnv({ [name]: value })).toThrow(new RegExp(name));
  });
});
