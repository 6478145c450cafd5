import kafkajs from "kafkajs";
import { describe, expect, it } from "vitest";
import { classifyError, DeadlineExceededError, InvalidRecordError, KafkaSendError, withDeadline } from "./errors.ts";

const { KafkaJSConnectionError, KafkaJSRequestTimeoutError } = kafkajs;
// NOTE: kafkajs' typings omit the constructor arguments these classes take at run time.
type ErrorClass = new (error: unknown, options?: object) => Error & { retriable?: boolean };
const KafkaJSNumberOfRetriesExceeded = kafkajs.KafkaJSNumberOfRetriesExceeded as unknown as ErrorClass;
const KafkaJSNonRetriableError = kafkajs.KafkaJSNonRetriableError as unknown as ErrorClass;
const KafkaJSProtocolError = kafkajs.KafkaJSProtocolError as unknown as ErrorClass;

describe("classifyError", () => {
  it("treats broker unavailability and timeouts as retriable", () => {
    const refused = new KafkaJSConnectionError("Connection error: connect ECONNREFUSED 127.0.0.1:9092");
    expect(classifyError(refused)).toBe("retriable");
    expect(classifyError(new KafkaJSRequestTimeoutError("Request Produce(key: 0, version: 7) timed out"))).toBe("retriable");
    expect(classifyError(new DeadlineExceededError(1000))).toBe("retriable");
  });

  it("sees through kafkajs' retry wrappers to the transient cause", () => {
    const exhausted = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError("refused"), { retryCount: 5, retryTime: 3000 });
    expect(exhausted.retriable).toBe(false); // what kafkajs says…
    expect(classifyError(exhausted)).toBe("retriable"); // …and what it means for the caller
    const outer = new KafkaJSNonRetriableError(exhausted, { cause: exhausted.cause });
    expect(classifyError(outer)).toBe("retriable");
    expect(classifyError(new KafkaSendError("send failed", { retriable: true, cause: outer }))).toBe("retriable");
  });

  it("treats protocol errors the broker marks permanent, bad records and unknown errors as fatal", () => {
    const tooLarge = new KafkaJSProtocolError({ message: "The request included a message larger than the max message size", type: "MESSAGE_TOO_LARGE", code: 10, retriable: false });
    expect(classifyError(tooLarge)).toBe("fatal");
    expect(classifyError(new KafkaJSNonRetriableError(tooLarge, { cause: tooLarge }))).toBe("fatal");
    expect(classifyError(new InvalidRecordError("bad"))).toBe("fatal");
    expect(classifyError(new TypeError("x is undefined"))).toBe("fatal");
    expect(classifyError("a string")).toBe("fatal");
  });
});

describe("withDeadline", () => {
  it("passes the value through when in time", async () => {
    await expect(withDeadline(Promise.resolve(42), 1000)).resolves.toBe(42);
  });

  it("rejects with DeadlineExceededError when late", async () => {
    const never = new Promise<never>(() => undefined);
    await expect(withDeadline(never, 20)).rejects.toBeInstanceOf(DeadlineExceededError);
  });
});
