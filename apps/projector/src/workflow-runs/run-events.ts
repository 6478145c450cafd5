/**
 * WorkflowEvents as the run projection reads them: decoded from taskflow-workflow-events
 * (the workflow adapters' decoding, validated here) or read back from the event store
 * (the columns Connect writes, kafka/connect/workflow-events-sink.json).
 */
import type cassandra from "cassandra-driver";
import type { KafkaMessage } from "kafkajs";
import { z } from "zod";
import { loadAvroSchema, topicByKey, valueSubject, type LoadedAvroSchema, type TopicSpec } from "@taskflow/events";
import { createSchemaRegistry, resolveSchemaId } from "@taskflow/kafka";
import { decodeAvroRecord, type WorkflowEventRecord } from "@taskflow/workflow-adapters";

/**
 * Validation on decode: Avro guarantees the shape, this the meaning (ids present, seq ≥ 1),
 * so the fold never sees a nonsensical event. Types are not checked against a list: the
 * schema lets new types appear, and the fold ignores those it does not know.
 */
export const workflowEventRecordSchema = z.object({
  eventId: z.string().min(1),
  runId: z.string().min(1),
  workflowId: z.string(),
  workflowVersion: z.string(),
  seq: z.number().int().min(1),
  type: z.string().min(1),
  nodeId: z.string().nullable(),
  attempt: z.number().int().nullable(),
  payload: z.string(),
  actor: z.string(),
  correlationId: z.string(),
  time: z.date(),
  transport: z.string(),
}) satisfies z.ZodType<WorkflowEventRecord>;

/** The catalog's workflow-events topic and its value schema (kafka/topics.json, kafka/schemas/). */
export function workflowEventsContract(contractsDir?: string): { topic: TopicSpec; schema: LoadedAvroSchema } {
  const topic = topicByKey("workflowEvents", contractsDir);
  if (!topic.valueSchema) throw new Error(`topic ${topic.name} has no valueSchema in kafka/topics.json`);
  return { topic, schema: loadAvroSchema(topic.valueSchema, contractsDir) };
}

/** Either the event, or why the record is poison (it will never decode). */
export type WorkflowEventDecodeResult = { ok: true; event: WorkflowEventRecord } | { ok: false; reason: string };

/**
 * A decoder of taskflow-workflow-events records: the schema id is looked up in the registry
 * (never registered), then every record is decoded and validated as the workflow
 * consumers do (`decodeAvroRecord`); a record written with another schema id is poison.
 */
export async function createWorkflowEventDecoder(options: { registryUrl: string; clientId: string; contractsDir?: string }): Promise<{
  topic: TopicSpec;
  schemaId: number;
  decode: (message: KafkaMessage) => WorkflowEventDecodeResult;
}> {
  const { topic, schema } = workflowEventsContract(options.contractsDir);
  const registry = createSchemaRegistry({ url: options.registryUrl, clientId: options.clientId });
  const schemaId = await resolveSchemaId(registry, valueSubject(topic.name), schema.canonical);
  const parse = (value: unknown) => workflowEventRecordSchema.parse(value);
  return {
    topic,
    schemaId,
    decode: (message) => {
      const decoded = decodeAvroRecord(message, schema, schemaId, parse);
      if ("value" in decoded) return { ok: true, event: decoded.value };
      return { ok: false, reason: `${decoded.reason}: ${decoded.error instanceof Error ? decoded.error.message : String(decoded.error)}` };
    },
  };
}

/** The event-store columns the projection reads (taskflow.workflow_events_by_run, kafka/cassandra/006-workflow.cql). */
export const EVENT_STORE_COLUMNS = "run_id, seq, event_id, workflow_id, workflow_version, type, node_id, attempt, payload, actor, correlation_id, time, transport";

/** A row of `workflow_events_by_run` (selected with {@link EVENT_STORE_COLUMNS}) as the event it stores. */
export function eventFromStoreRow(row: cassandra.types.Row): WorkflowEventRecord {
  // Connect writes every field of the record (nullable ones as null), so each column is there.
  return workflowEventRecordSchema.parse({
    eventId: row.get("event_id"),
    runId: row.get("run_id"),
    workflowId: row.get("workflow_id"),
    workflowVersion: row.get("workflow_version"),
    seq: toNumber(row.get("seq")),
    type: row.get("type"),
    nodeId: row.get("node_id") ?? null,
    attempt: row.get("attempt") ?? null,
    payload: row.get("payload"),
    actor: row.get("actor"),
    correlationId: row.get("correlation_id"),
    time: row.get("time"),
    transport: row.get("transport"),
  });
}

/** A bigint/int column as a number (the driver reads bigint as Long). */
export function toNumber(value: unknown): number {
  if (value == null) return 0;
  if (typeof value === "number") return value;
  return (value as cassandra.types.Long).toNumber();
}
