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

  it("selects the transport, kafka unless told otherwise", () => {
    expect(parseWorkerEnv({})).toMatchObject({
      WORKFLOW_TRANSPORT: "kafka",
      RABBITMQ_URL: "amqp://guest:guest@127.0.0.1:5672",
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/taskflow",
      RABBITMQ_JOBS_QUEUE: "flowcraft-jobs",
      RABBITMQ_PREFETCH: 16,
    });
    const parsed = parseWorkerEnv({
      WORKFLOW_TRANSPORT: "rabbitmq",
      RABBITMQ_URL: "amqps://worker:secret@mq.internal:5671/taskflow",
      DATABASE_URL: "postgresql://worker:secret@db.internal/workflows?sslmode=require",
      RABBITMQ_JOBS_QUEUE: "jobs-b",
      RABBITMQ_PREFETCH: "32",
    });
    expect(parsed).toMatchObject({ WORKFLOW_TRANSPORT: "rabbitmq", RABBITMQ_JOBS_QUEUE: "jobs-b", RABBITMQ_PREFETCH: 32 });
    expect(() => parseWorkerEnv({ WORKFLOW_TRANSPORT: "sqs" })).toThrow(/WORKFLOW_TRANSPORT: .*"kafka"\|"rabbitmq"/);
    expect(() => parseWorkerEnv({ RABBITMQ_PREFETCH: "0" })).toThrow(/RABBITMQ_PREFETCH/);
    expect(() => parseWorkerEnv({ RABBITMQ_JOBS_QUEUE: "amq.jobs" })).toThrow(/RABBITMQ_JOBS_QUEUE: starts with amq\./);
  });

  it.each([
    ["RABBITMQ_URL", "not a url", /RABBITMQ_URL: does not parse as a URL \(expected e\.g\. amqp:\/\//],
    ["RABBITMQ_URL", "http://guest:guest@127.0.0.1:15672", /RABBITMQ_URL: has scheme http:, expected amqp:\/\/ or amqps:\/\//],
    ["DATABASE_URL", "db.internal:5432/taskflow", /DATABASE_URL: does not parse as a URL \(expected e\.g\. postgres:\/\//],
    ["DATABASE_URL", "mysql://root@127.0.0.1/taskflow", /DATABASE_URL: has scheme mysql:/],
    ["DATABASE_URL", "postgres://postgres@127.0.0.1:5432", /DATABASE_URL: names no database/],
    ["DATABASE_URL", "postgres:///taskflow", /DATABASE_URL: names no host/],
  ])("rejects %s=%s with a message naming the variable and the problem", (name, value, message) => {
    expect(() => parseWorkerEnv({ [name]: value })).toThrow(message);
  });

  it("never repeats a bad URL's password in the error", () => {
    expect(() => parseWorkerEnv({ DATABASE_URL: "mysql://root:hunter2@db/taskflow" })).toThrow(/^(?!.*hunter2)/s);
  });

  it("parses the control and reconciler settings, booleans as an explicit enum", () => {
    expect(parseWorkerEnv({})).toMatchObject({ WORKER_CONSUME_CONTROL: "true", WORKER_RECONCILE_INTERVAL_MS: 10_000, WORKER_STALLED_THRESHOLD_SECONDS: 30 });
    expect(parseWorkerEnv({ WORKER_CONSUME_CONTROL: "false" }).WORKER_CONSUME_CONTROL).toBe("false");
    expect(() => parseWorkerEnv({ WORKER_CONSUME_CONTROL: "yes" })).toThrow(/WORKER_CONSUME_CONTROL/);
  });
});
