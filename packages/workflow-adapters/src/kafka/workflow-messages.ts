import { createHash } from "node:crypto";
import { loadAvroSchema, topicByKey, valueSubject, type LoadedAvroSchema, type TopicSpec } from "@taskflow/events";
import { z } from "zod";
import type { NodeJob } from "@taskflow/workflow";

/**
 * The workflow runtime's message catalog: topics come from kafka/topics.json, schemas
 * from kafka/schemas/; nothing here restates a name. Producers and consumers of the
 * jobs and events topics take their types and validation from this module.
 */

/** Topic spec of the node jobs topic (`taskflow-workflow-jobs`). */
export function workflowJobsTopic(): TopicSpec & { deadLetter: string; valueSchema: string } {
  return requireContract(topicByKey("workflowJobs"));
}

/** Topic spec of the workflow events topic (`taskflow-workflow-events`). */
export function workflowEventsTopic(): TopicSpec & { deadLetter: string; valueSchema: string } {
  return requireContract(topicByKey("workflowEvents"));
}

function requireContract(spec: TopicSpec): TopicSpec & { deadLetter: string; valueSchema: string } {
  if (!spec.valueSchema || !spec.deadLetter) throw new Error(`topic ${spec.name} lacks a value schema or dead-letter topic in kafka/topics.json`);
  return { ...spec, valueSchema: spec.valueSchema, deadLetter: spec.deadLetter };
}

export function nodeJobSchema(): LoadedAvroSchema {
  return loadAvroSchema(workflowJobsTopic().valueSchema);
}

export function workflowEventSchema(): LoadedAvroSchema {
  return loadAvroSchema(workflowEventsTopic().valueSchema);
}

export { valueSubject };

/** Kafka headers the job queue writes and reads. */
export const JOB_HEADERS = {
  /** Epoch milliseconds before which a delayed job must not run (retry backoff). */
  notBefore: "taskflow-not-before",
} as const;

/** Headers on a dead-lettered record (the record itself is copied as it was). */
export const DEAD_LETTER_HEADERS = {
  /** `undecodable` | `invalid` | `handler-failed`. */
  reason: "taskflow-dlq-reason",
  errorName: "taskflow-dlq-error-name",
  errorMessage: "taskflow-dlq-error-message",
  sourceTopic: "taskflow-dlq-source-topic",
  sourcePartition: "taskflow-dlq-source-partition",
  sourceOffset: "taskflow-dlq-source-offset",
  /** How many times the handler ran before the job was given up. */
  deliveries: "taskflow-dlq-deliveries",
} as const;

export type DeadLetterReason = "undecodable" | "invalid" | "handler-failed";

/** The NodeJob record as Avro writes it (input as JSON text, enqueuedAt added). */
export interface NodeJobRecord {
  runId: string;
  nodeId: string;
  attempt: number;
  fencingToken: number;
  correlationId: string;
  input: string;
  enqueuedAt: Date;
}

/** A decoded job plus what the transport knows about it. */
export interface DecodedNodeJob {
  job: NodeJob;
  enqueuedAt: Date;
}

const jsonText = z.string().transform((text, ctx): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: "custom", message: "input is not JSON text" });
    return z.NEVER;
  }
});

/**
 * Validation on decode: Avro guarantees the shape, zod the meaning (non-empty ids,
 * attempt ≥ 1, input that is JSON), so a handler never sees a nonsensical job.
 */
export const nodeJobRecordSchema = z.object({
  runId: z.string().min(1),
  nodeId: z.string().min(1),
  attempt: z.number().int().min(1),
  fencingToken: z.number().int().min(0),
  correlationId: z.string(),
  input: jsonText,
  enqueuedAt: z.date(),
});

/** Avro record for a job about to be published. */
export function toNodeJobRecord(job: NodeJob, enqueuedAt: Date): NodeJobRecord {
  return {
    runId: job.runId,
    nodeId: job.nodeId,
    attempt: job.attempt,
    fencingToken: job.fencingToken,
    correlationId: job.correlationId,
    // NOTE: an absent input travels as an empty object, the schema's own default.
    input: JSON.stringify(job.input ?? {}),
    enqueuedAt,
  };
}

/** Validates a decoded Avro value; throws a zod error for an invalid job. */
export function fromNodeJobRecord(value: unknown): DecodedNodeJob {
  const record = nodeJobRecordSchema.parse(value);
  const { enqueuedAt, ...job } = record;
  return { job, enqueuedAt };
}

// A fixed namespace for name-based event ids (random, generated once for TaskFlow).
const WORKFLOW_EVENT_ID_NAMESPACE = Buffer.from("5b0c2f7e8a1d4c3e9f6a2b7d1e0c4a95", "hex");

/**
 * A deterministic UUID (RFC 4122 version 5, SHA-1 name-based) for a run's event:
 * re-publishing the same (runId, sequence) yields the same event id, so downstream
 * rows keyed by it are rewritten, not duplicated.
 */
export function workflowEventId(runId: string, sequence: number): string {
  const hash = createHash("sha1").update(WORKFLOW_EVENT_ID_NAMESPACE).update(`${runId}\u0000${sequence}`).digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
