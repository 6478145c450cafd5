import type { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { createAvroValueEncoder, type AvroValueEncoder, type Producer } from "@taskflow/kafka";
import type { RunEvent } from "@taskflow/workflow";
import { valueSubject, workflowEventId, workflowEventSchema, workflowEventsTopic } from "./workflow-messages.ts";

/** Options of {@link WorkflowEventPublisher.create}. */
export interface WorkflowEventPublisherOptions {
  /** A connected producer from `createProducer` (acks = all, idempotent); not disconnected here. */
  producer: Producer;
  /** Registry client; the WorkflowEvent schema id is looked up, never registered. */
  registry: Pick<SchemaRegistry, "getRegistryIdBySchema">;
  /** Defaults to the catalog's `taskflow-workflow-events` (the topic Connect sinks). */
  topic?: string;
  /** Registry subject; defaults to `<catalog events topic>-value`. */
  subject?: string;
  /** The runtime transport whose runs these events describe: `kafka` (default) or `rabbitmq`. */
  transport?: string;
}

/** What a `RunEvent` does not carry but a stored `WorkflowEvent` needs. */
export interface RunEventContext {
  /** Blueprint id (Flowcraft `id`) the run was created from. */
  workflowId: string;
  /** Blueprint version (Flowcraft `metadata.version`) the run was created with. */
  workflowVersion: string;
  /** A user's e-mail or `system:<component>`; defaults to `system:worker`. */
  actor?: string;
}

/** The WorkflowEvent record as Avro writes it (kafka/schemas/workflow-event.avsc). */
export interface WorkflowEventRecord {
  eventId: string;
  runId: string;
  workflowId: string;
  workflowVersion: string;
  seq: number;
  type: string;
  nodeId: string | null;
  attempt: number | null;
  payload: string;
  actor: string;
  correlationId: string;
  time: Date;
  transport: string;
}

/** Maps a sequenced run event to its Avro record. */
export function toWorkflowEventRecord(event: RunEvent, context: RunEventContext, transport = "kafka"): WorkflowEventRecord {
  return {
    // Deterministic: re-publishing (runId, sequence) rewrites the same rows downstream.
    eventId: workflowEventId(event.runId, event.sequence),
    runId: event.runId,
    workflowId: context.workflowId,
    workflowVersion: context.workflowVersion,
    seq: event.sequence,
    type: event.type,
    nodeId: event.nodeId ?? null,
    attempt: event.attempt ?? null,
    payload: JSON.stringify(event.payload ?? {}),
    actor: context.actor ?? "system:worker",
    correlationId: event.correlationId,
    time: event.occurredAt,
    transport,
  };
}

/**
 * Publishes run transitions as Avro `WorkflowEvent`s to the workflow-events topic, from
 * where Connect writes them into the event store (by run, by day).
 */
export class WorkflowEventPublisher {
  private constructor(
    private readonly producer: Producer,
    private readonly encoder: AvroValueEncoder,
    /** The topic events are published to. */
    readonly topic: string,
    private readonly transport: string,
  ) {}

  /** Resolves the WorkflowEvent schema id; rejects if the schema is not registered. */
  static async create(options: WorkflowEventPublisherOptions): Promise<WorkflowEventPublisher> {
    const catalog = workflowEventsTopic();
    const subject = options.subject ?? valueSubject(catalog.name);
    const encoder = await createAvroValueEncoder(options.registry, subject, workflowEventSchema());
    return new WorkflowEventPublisher(options.producer, encoder, options.topic ?? catalog.name, options.transport ?? "kafka");
  }

  /**
   * Publishes `events` (all of runs created from the blueprint in `context`) and resolves
   * on the broker's acknowledgement of every one; rejects with `InvalidRecordError` for an
   * event that does not fit the schema (nothing is sent then) or `KafkaSendError`.
   */
  async publish(events: readonly RunEvent[], context: RunEventContext): Promise<void> {
    if (events.length === 0) return;
    // Encode everything first, so one bad event fails the call before anything is sent.
    const messages = events.map((event) => ({
      // Keyed by run id: a run's events stay in sequence order on one partition.
      key: event.runId,
      value: this.encoder.encode(toWorkflowEventRecord(event, context, this.transport)),
    }));
    await this.producer.send({ topic: this.topic, messages });
  }
}
