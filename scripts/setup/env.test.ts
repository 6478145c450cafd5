import { describe, expect, it } from "vitest";
import { parseSetupEnv } from "./env.ts";

describe("setup env", () => {
  it("migrates PostgreSQL and declares the RabbitMQ queues of the native stack by default", () => {
    expect(parseSetupEnv({})).toMatchObject({
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/taskflow",
      RABBITMQ_URL: "amqp://guest:guest@127.0.0.1:5672",
      RABBITMQ_JOBS_QUEUE: "flowcraft-jobs",
    });
  });

  it("skips them against external services unless their URLs are given", () => {
    const external = parseSetupEnv({ KAFKA_BROKERS: "kafka:29092", CASSANDRA_CONTACT_POINTS: "cassandra" });
    expect(external.DATABASE_URL).toBeUndefined();
    expect(external.RABBITMQ_URL).toBeUndefined();
    const configured = parseSetupEnv({
      KAFKA_BROKERS: "kafka:29092",
      DATABASE_URL: "postgres://postgres@postgres:5432/taskflow",
      RABBITMQ_URL: "amqp://guest:guest@rabbitmq:5672",
    });
    expect(configured).toMatchObject({ DATABASE_URL: "postgres://postgres@postgres:5432/taskflow", RABBITMQ_URL: "amqp://guest:guest@rabbitmq:5672" });
  });

  it("names the variable and what is wrong with a URL, without repeating it", () => {
    expect(() => parseSetupEnv({ DATABASE_URL: "http://u:hunter2@db/taskflow" })).toThrow(/DATABASE_URL: has scheme http:, expected postgres:\/\/ or postgresql:\/\//);
    expect(() => parseSetupEnv({ DATABASE_URL: "http://u:hunter2@db/taskflow" })).toThrow(/^(?!.*hunter2)/s);
    expect(() => parseSetupEnv({ DATABASE_URL: "postgres://db:5432" })).toThrow(/DATABASE_URL: names no database/);
    expect(() => parseSetupEnv({ RABBITMQ_URL: "rabbitmq:5672" })).toThrow(/RABBITMQ_URL: does not parse as a URL/);
  });
});
