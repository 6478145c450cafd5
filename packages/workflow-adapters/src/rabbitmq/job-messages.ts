import { randomUUID } from "node:crypto";
import type { NodeJob } from "@taskflow/workflow";
import type { MessagePropertyHeaders, Options } from "amqplib";
import { z } from "zod";
import { DEAD_LETTER_HEADERS, JOB_HEADERS, nodeJobRecordSchema, type DeadLetterReason } from "../kafka/workflow-messages.ts";

/**
 * How a NodeJob travels on RabbitMQ: a JSON body validated with the catalog's NodeJob
 * rules (the same zod checks the Kafka transport applies), plus headers that the
 * transport reads (enqueued-at, not-before, deliveries) and that tell an operator looking
 * at a queue or the dead-letter queue whose job it is (run id, attempt, correlation id).
 * Pure functions: no channel here.
 */

/** AMQP headers on a job message. */
export const RABBITMQ_JOB_HEADERS = {
  runId: "taskflow-run-id",
  nodeId: "taskflow-node-id",
  attempt: "taskflow-attempt",
  correlationId: "taskflow-correlation-id",
  /** Epoch milliseconds of the first publish (kept across redeliveries: the scheduling-overhead metric starts here). */
  enqueuedAt: "taskflow-enqueued-at",
  /** Epoch milliseconds before which the job must not run (retry backoff); the Kafka header's name. */
  notBefore: JOB_HEADERS.notBefore,
  /** Handler runs that already failed for this job (0 when first published). */
  deliveries: "taskflow-deliveries",
} as const;

/** Headers added to a dead-lettered message (its body and job headers are copied as they were). */
export const RABBITMQ_DEAD_LETTER_HEADERS = {
  /** `undecodable` (not JSON) | `invalid` (JSON, not a job) | `handler-failed` (poison job). */
  reason: DEAD_LETTER_HEADERS.reason,
  errorName: DEAD_LETTER_HEADERS.errorName,
  errorMessage: DEAD_LETTER_HEADERS.errorMessage,
  /** The first lines of the error's stack. */
  errorStack: "taskflow-dlq-error-stack",
  /** How many times the handler ran before the job was given up (0 when it never did). */
  deliveries: DEAD_LETTER_HEADERS.deliveries,
  sourceQueue: "taskflow-dlq-source-queue",
  /** Epoch milliseconds. */
  deadLetteredAt: "taskflow-dlq-at",
} as const;

/**
 * The message body: a NodeJob with the catalog's rules (non-empty ids, attempt ≥ 1,
 * fencing token ≥ 0); `input` is any JSON value (absent = `{}`).
 */
export const nodeJobMessageSchema = nodeJobRecordSchema.omit({ input: true, enqueuedAt: true }).extend({ input: z.unknown().optional() });

/** Epoch milliseconds as a header: amqplib writes a JS integer as a 64-bit long. */
const epochMillis = z.number().int().min(0);

/** The transport's headers; absent ones take defaults (a job published by another tool), malformed ones are refused. */
const transportHeadersSchema = z.object({
  [RABBITMQ_JOB_HEADERS.enqueuedAt]: epochMillis.optional(),
  [RABBITMQ_JOB_HEADERS.notBefore]: epochMillis.optional(),
  [RABBITMQ_JOB_HEADERS.deliveries]: z.number().int().min(0).optional(),
});

/** Transport state of one job message, besides the job itself. */
export interface JobMessageMeta {
  enqueuedAt: Date;
  /** Epoch milliseconds; 0 = run at once. */
  notBefore: number;
  /** Handler runs that already failed. */
  deliveries: number;
}

export interface DecodedJobMessage extends JobMessageMeta {
  job: NodeJob;
}

/** Why a message cannot be handled, with an error that says what is wrong. */
export interface UndecodableJobMessage {
  reason: Extract<DeadLetterReason, "undecodable" | "invalid">;
  error: Error;
}

/** Body and properties of a job message about to be published (persistent, JSON). */
export function encodeJobMessage(job: NodeJob, meta: JobMessageMeta, extraHeaders: MessagePropertyHeaders = {}): { content: Buffer; properties: Options.Publish } {
  const body = {
    runId: job.runId,
    nodeId: job.nodeId,
    attempt: job.attempt,
    fencingToken: job.fencingToken,
    correlationId: job.correlationId,
    // NOTE: an absent input travels as an empty object, as on the Kafka transport.
    input: job.input ?? {},
  };
  const headers: MessagePropertyHeaders = {
    ...extraHeaders,
    [RABBITMQ_JOB_HEADERS.runId]: job.runId,
    [RABBITMQ_JOB_HEADERS.nodeId]: job.nodeId,
    [RABBITMQ_JOB_HEADERS.attempt]: job.attempt,
    [RABBITMQ_JOB_HEADERS.correlationId]: job.correlationId,
    [RABBITMQ_JOB_HEADERS.enqueuedAt]: meta.enqueuedAt.getTime(),
    [RABBITMQ_JOB_HEADERS.deliveries]: meta.deliveries,
  };
  if (meta.notBefore > 0) headers[RABBITMQ_JOB_HEADERS.notBefore] = meta.notBefore;
  else delete headers[RABBITMQ_JOB_HEADERS.notBefore];
  return {
    content: Buffer.from(JSON.stringify(body)),
    properties: {
      persistent: true,
      contentType: "application/json",
      // Unique per publish: a returned (unroutable) message is matched to its publish by it.
      messageId: randomUUID(),
      correlationId: job.correlationId,
      timestamp: Math.floor(meta.enqueuedAt.getTime() / 1000),
      headers,
    },
  };
}

/**
 * Parses and validates a consumed message: the job and its transport state, or why it
 * cannot be handled (`undecodable` for a body that is not JSON, `invalid` for JSON that
 * is not a valid job or malformed transport headers). Never throws.
 */
export function decodeJobMessage(content: Buffer, headers: MessagePropertyHeaders | undefined, now = new Date()): DecodedJobMessage | UndecodableJobMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString("utf8")) as unknown;
  } catch (error) {
    return { reason: "undecodable", error: new Error(`message body is not JSON: ${error instanceof Error ? error.message : String(error)}`) };
  }
  const body = nodeJobMessageSchema.safeParse(parsed);
  if (!body.success) return { reason: "invalid", error: new Error(`message body is not a valid node job: ${describeIssues(body.error)}`) };
  const meta = transportHeadersSchema.safeParse(headers ?? {});
  if (!meta.success) return { reason: "invalid", error: new Error(`message headers are malformed: ${describeIssues(meta.error)}`) };
  const { input, ...ids } = body.data;
  const enqueuedAt = meta.data[RABBITMQ_JOB_HEADERS.enqueuedAt];
  return {
    job: { ...ids, input: input ?? {} },
    enqueuedAt: enqueuedAt === undefined ? now : new Date(enqueuedAt),
    notBefore: meta.data[RABBITMQ_JOB_HEADERS.notBefore] ?? 0,
    deliveries: meta.data[RABBITMQ_JOB_HEADERS.deliveries] ?? 0,
  };
}

/** `attempt: Too small: expected number to be >=1; runId: ...`: each issue with its path. */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`).join("; ");
}

const MAX_ERROR_MESSAGE_CHARS = 2_000;
const MAX_STACK_LINES = 8;
const MAX_STACK_CHARS = 4_000;

/**
 * Headers of a dead-lettered copy: the message's own headers (minus the broker's `x-`
 * ones) plus the reason and the error (name, message, stack head). Bounded, because an
 * AMQP header table must fit in 64 KiB.
 */
export function deadLetterHeaders(
  original: MessagePropertyHeaders | undefined,
  request: { reason: DeadLetterReason; error: unknown; deliveries: number; sourceQueue: string; at?: Date },
): MessagePropertyHeaders {
  const error = request.error instanceof Error ? request.error : new Error(String(request.error));
  const stackHead = (error.stack ?? "").split("\n").slice(0, MAX_STACK_LINES).join("\n").slice(0, MAX_STACK_CHARS);
  return {
    ...withoutBrokerHeaders(original),
    [RABBITMQ_DEAD_LETTER_HEADERS.reason]: request.reason,
    [RABBITMQ_DEAD_LETTER_HEADERS.errorName]: error.name,
    [RABBITMQ_DEAD_LETTER_HEADERS.errorMessage]: error.message.slice(0, MAX_ERROR_MESSAGE_CHARS),
    [RABBITMQ_DEAD_LETTER_HEADERS.errorStack]: stackHead,
    [RABBITMQ_DEAD_LETTER_HEADERS.deliveries]: request.deliveries,
    [RABBITMQ_DEAD_LETTER_HEADERS.sourceQueue]: request.sourceQueue,
    [RABBITMQ_DEAD_LETTER_HEADERS.deadLetteredAt]: (request.at ?? new Date()).getTime(),
  };
}

/**
 * A message's headers without the broker's own (`x-delivery-count`, `x-death`, ...):
 * they describe the consumed copy, not the one we publish.
 */
export function withoutBrokerHeaders(headers: MessagePropertyHeaders | undefined): MessagePropertyHeaders {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => !name.startsWith("x-")));
}
