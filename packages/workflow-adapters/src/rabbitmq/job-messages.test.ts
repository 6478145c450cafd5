import type { NodeJob } from "@taskflow/workflow";
import { describe, expect, it } from "vitest";
import {
  RABBITMQ_DEAD_LETTER_HEADERS,
  RABBITMQ_JOB_HEADERS,
  deadLetterHeaders,
  decodeJobMessage,
  encodeJobMessage,
  withoutBrokerHeaders,
} from "./job-messages.ts";

const job: NodeJob = { runId: "run-1", nodeId: "send-email", attempt: 2, fencingToken: 7, correlationId: "corr-1", input: { to: "a@example.com" } };
const enqueuedAt = new Date("2025-01-02T03:04:05.678Z");

describe("encodeJobMessage / decodeJobMessage", () => {
  it("round-trips a job with its transport state, as a persistent JSON message with identifying headers", () => {
    const { content, properties } = encodeJobMessage(job, { enqueuedAt, notBefore: enqueuedAt.getTime() + 500, deliveries: 1 });
    expect(properties).toMatchObject({ persistent: true, contentType: "application/json", correlationId: "corr-1" });
    expect(properties.headers).toMatchObject({
      [RABBITMQ_JOB_HEADERS.runId]: "run-1",
      [RABBITMQ_JOB_HEADERS.nodeId]: "send-email",
      [RABBITMQ_JOB_HEADERS.attempt]: 2,
      [RABBITMQ_JOB_HEADERS.correlationId]: "corr-1",
      [RABBITMQ_JOB_HEADERS.enqueuedAt]: enqueuedAt.getTime(),
      [RABBITMQ_JOB_HEADERS.notBefore]: enqueuedAt.getTime() + 500,
      [RABBITMQ_JOB_HEADERS.deliveries]: 1,
    });
    expect(decodeJobMessage(content, properties.headers)).toEqual({ job, enqueuedAt, notBefore: enqueuedAt.getTime() + 500, deliveries: 1 });
  });

  it("gives every publish its own message id, so the same job can be published twice", () => {
    const first = encodeJobMessage(job, { enqueuedAt, notBefore: 0, deliveries: 0 });
    const second = encodeJobMessage(job, { enqueuedAt, notBefore: 0, deliveries: 0 });
    expect(first.properties.messageId).not.toBe(second.properties.messageId);
    expect(first.content.equals(second.content)).toBe(true);
  });

  it("drops a stale not-before header when re-encoding without a delay", () => {
    const { properties } = encodeJobMessage(job, { enqueuedAt, notBefore: 0, deliveries: 0 }, { [RABBITMQ_JOB_HEADERS.notBefore]: 123, "trace-id": "t" });
    expect(properties.headers).not.toHaveProperty(RABBITMQ_JOB_HEADERS.notBefore);
    expect(properties.headers).toHaveProperty("trace-id", "t");
  });

  it("defaults absent transport headers (a job published by another tool)", () => {
    const now = new Date();
    const decoded = decodeJobMessage(Buffer.from(JSON.stringify({ ...job, input: undefined })), undefined, now);
    expect(decoded).toEqual({ job: { ...job, input: {} }, enqueuedAt: now, notBefore: 0, deliveries: 0 });
  });

  it("calls a body that is not JSON undecodable", () => {
    const decoded = decodeJobMessage(Buffer.from("definitely not json"), {});
    expect(decoded).toMatchObject({ reason: "undecodable" });
    expect("error" in decoded && decoded.error.message).toMatch(/^message body is not JSON: /);
  });

  it("calls JSON that is not a valid job invalid, naming the fields", () => {
    const decoded = decodeJobMessage(Buffer.from(JSON.stringify({ ...job, attempt: 0, runId: "" })), {});
    expect(decoded).toMatchObject({ reason: "invalid" });
    const message = "error" in decoded ? decoded.error.message : "";
    expect(message).toMatch(/^message body is not a valid node job: /);
    expect(message).toContain("attempt:");
    expect(message).toContain("runId:");
    expect(decodeJobMessage(Buffer.from("[1,2]"), {})).toMatchObject({ reason: "invalid" });
  });

  it("refuses malformed transport headers", () => {
    const decoded = decodeJobMessage(Buffer.from(JSON.stringify(job)), { [RABBITMQ_JOB_HEADERS.notBefore]: "soon" });
    expect(decoded).toMatchObject({ reason: "invalid" });
    expect("error" in decoded && decoded.error.message).toContain(RABBITMQ_JOB_HEADERS.notBefore);
  });
});

describe("deadLetterHeaders", () => {
  it("keeps the job's headers, drops the broker's, and adds the reason and a bounded error", () => {
    const error = new Error("x".repeat(10_000));
    const at = new Date();
    const headers = deadLetterHeaders(
      { [RABBITMQ_JOB_HEADERS.runId]: "run-1", "x-delivery-count": 3, "x-death": [] },
      { reason: "handler-failed", error, deliveries: 5, sourceQueue: "jobs", at },
    );
    expect(headers).toMatchObject({
      [RABBITMQ_JOB_HEADERS.runId]: "run-1",
      [RABBITMQ_DEAD_LETTER_HEADERS.reason]: "handler-failed",
      [RABBITMQ_DEAD_LETTER_HEADERS.errorName]: "Error",
      [RABBITMQ_DEAD_LETTER_HEADERS.deliveries]: 5,
      [RABBITMQ_DEAD_LETTER_HEADERS.sourceQueue]: "jobs",
      [RABBITMQ_DEAD_LETTER_HEADERS.deadLetteredAt]: at.getTime(),
    });
    expect(headers).not.toHaveProperty("x-delivery-count");
    expect(headers).not.toHaveProperty("x-death");
    expect(String(headers[RABBITMQ_DEAD_LETTER_HEADERS.errorMessage]).length).toBe(2_000);
    const stack = String(headers[RABBITMQ_DEAD_LETTER_HEADERS.errorStack]);
    expect(stack.split("\n").length).toBeLessThanOrEqual(8);
    expect(stack.length).toBeLessThanOrEqual(4_000);
  });

  it("describes a thrown non-error", () => {
    const headers = deadLetterHeaders(undefined, { reason: "handler-failed", error: "boom", deliveries: 1, sourceQueue: "jobs" });
    expect(headers[RABBITMQ_DEAD_LETTER_HEADERS.errorMessage]).toBe("boom");
  });

  it("withoutBrokerHeaders tolerates absent headers", () => {
    expect(withoutBrokerHeaders(undefined)).toEqual({});
  });
});
