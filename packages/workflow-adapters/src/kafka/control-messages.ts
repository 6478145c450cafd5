import { createHash, randomUUID } from "node:crypto";
import type { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { loadAvroSchema, topicByKey, valueSubject, type LoadedAvroSchema, type TopicSpec } from "@taskflow/events";
import { createAvroValueEncoder, type AvroValueEncoder, type Producer } from "@taskflow/kafka";
import { z } from "zod";

/**
 * The control topics' catalog: lifecycle events (`taskflow-lifecycle`, keyed by org) and
 * workflow commands (`taskflow-workflow-commands`, keyed by run id). Names, schemas and
 * dead-letter topics come from kafka/; validation on decode is here, so consumers and
 * producers (worker, web app, tests) share one definition.
 */

type ControlTopic = TopicSpec & { deadLetter: string; valueSchema: string };

function contract(key: string): ControlTopic {
  const spec = topicByKey(key);
  if (!spec.valueSchema || !spec.deadLetter) throw new Error(`topic ${spec.name} lacks a value schema or dead-letter topic in kafka/topics.json`);
  return { ...spec, valueSchema: spec.valueSchema, deadLetter: spec.deadLetter };
}

export function lifecycleTopic(): ControlTopic {
  return contract("lifecycle");
}

export function workflowCommandsTopic(): ControlTopic {
  return contract("workflowCommands");
}

export function lifecycleEventSchema(): LoadedAvroSchema {
  return loadAvroSchema(lifecycleTopic().valueSchema);
}

export function workflowCommandSchema(): LoadedAvroSchema {
  return loadAvroSchema(workflowCommandsTopic().valueSchema);
}

/** A JSON object carried as text (the schemas' `data`/`input` fields, default "{ }"). */
const jsonObjectText = z.string().transform((text, ctx): Record<string, unknown> => {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: "custom", message: "not a JSON object text" });
  return z.NEVER;
});

export const LIFECYCLE_EVENT_TYPES = ["employee.onboard", "employee.exit", "employee.transfer", "employee.update"] as const;
export type LifecycleEventType = (typeof LIFECYCLE_EVENT_TYPES)[number];

/** A lifecycle event as consumers see it (validated; `data` parsed). */
export const lifecycleEventRecordSchema = z.object({
  eventId: z.string().min(1),
  type: z.enum(LIFECYCLE_EVENT_TYPES),
  orgId: z.string().min(1),
  employeeId: z.string().min(1),
  data: jsonObjectText,
  correlationId: z.string().min(1),
  time: z.date(),
});
export type LifecycleEvent = z.infer<typeof lifecycleEventRecordSchema>;

/** The runtime transports a run can be requested on (issue #6). */
export const WORKFLOW_TRANSPORTS = ["kafka", "rabbitmq"] as const;
export type WorkflowTransport = (typeof WORKFLOW_TRANSPORTS)[number];

export const WORKFLOW_COMMAND_TYPES = ["run.request", "run.pause", "run.resume", "run.cancel"] as const;
export type WorkflowCommandType = (typeof WORKFLOW_COMMAND_TYPES)[number];

const commandBase = {
  commandId: z.string().min(1),
  input: jsonObjectText,
  reason: z.string().nullable(),
  actor: z.string().min(1),
  correlationId: z.string().min(1),
  time: z.date(),
};

/** A workflow command as consumers see it: what each type requires is checked here. */
export const workflowCommandRecordSchema = z.discriminatedUnion("type", [
  z.object({
    ...commandBase,
    type: z.literal("run.request"),
    runId: z.string().min(1).nullable(),
    workflowId: z.string().min(1),
    // NOTE: absent from commands written with the schema's first version.
    transport: z.enum(WORKFLOW_TRANSPORTS).nullable().default(null),
  }),
  z.object({ ...commandBase, type: z.enum(["run.pause", "run.resume", "run.cancel"]), runId: z.string().min(1), workflowId: z.string().nullable() }),
]);
export type WorkflowCommand = z.infer<typeof workflowCommandRecordSchema>;

/** What a producer supplies for a lifecycle event; ids and time default. */
export interface LifecycleEventDraft {
  eventId?: string;
  type: LifecycleEventType;
  orgId: string;
  employeeId: string;
  data?: Record<string, unknown>;
  correlationId?: string;
  time?: Date;
}

/** What a producer supplies for a command; ids and time default. */
export interface WorkflowCommandDraft {
  commandId?: string;
  type: WorkflowCommandType;
  runId?: string;
  workflowId?: string;
  /** run.request only: which transport runs it (default `kafka`). */
  transport?: WorkflowTransport;
  input?: Record<string, unknown>;
  reason?: string;
  actor: string;
  correlationId?: string;
  time?: Date;
}

// A fixed namespace for run ids derived from control messages (random, generated once).
const CONTROL_RUN_ID_NAMESPACE = Buffer.from("9d3a61c4b2e84f0f8c7a5e1d2b3f4a6c", "hex");

/**
 * A deterministic run id (UUID v5) for the run a lifecycle event or run.request starts:
 * a redelivered message yields the same id, and the engine creates a run id once.
 */
export function runIdFor(source: "lifecycle" | "command", messageId: string): string {
  const bytes = createHash("sha1").update(CONTROL_RUN_ID_NAMESPACE).update(`${source}\u0000${messageId}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Resolves a control topic's schema id (looked up, never registered). */
export async function controlEncoder(registry: Pick<SchemaRegistry, "getRegistryIdBySchema">, kind: "lifecycle" | "commands"): Promise<AvroValueEncoder> {
  return kind === "lifecycle"
    ? createAvroValueEncoder(registry, valueSubject(lifecycleTopic().name), lifecycleEventSchema())
    : createAvroValueEncoder(registry, valueSubject(workflowCommandsTopic().name), workflowCommandSchema());
}

/**
 * Publishes lifecycle events and workflow commands (web app, tests), each resolved on
 * the broker's ack. Topic overrides are for tests; the catalog's topics otherwise.
 */
export class ControlPublisher {
  private constructor(
    private readonly producer: Producer,
    private readonly lifecycle: AvroValueEncoder,
    private readonly commands: AvroValueEncoder,
    private readonly topics: { lifecycle: string; commands: string },
  ) {}

  static async create(options: {
    producer: Producer;
    registry: Pick<SchemaRegistry, "getRegistryIdBySchema">;
    lifecycleTopic?: string;
    commandsTopic?: string;
  }): Promise<ControlPublisher> {
    const [lifecycle, commands] = await Promise.all([controlEncoder(options.registry, "lifecycle"), controlEncoder(options.registry, "commands")]);
    return new ControlPublisher(options.producer, lifecycle, commands, {
      lifecycle: options.lifecycleTopic ?? lifecycleTopic().name,
      commands: options.commandsTopic ?? workflowCommandsTopic().name,
    });
  }

  /** Publishes a lifecycle event keyed by org id (one organisation's events stay in order). Returns the event id. */
  async publishLifecycleEvent(draft: LifecycleEventDraft): Promise<string> {
    const eventId = draft.eventId ?? randomUUID();
    const record = {
      eventId,
      type: draft.type,
      orgId: draft.orgId,
      employeeId: draft.employeeId,
      data: JSON.stringify(draft.data ?? {}),
      correlationId: draft.correlationId ?? eventId,
      time: draft.time ?? new Date(),
    };
    await this.producer.send({ topic: this.topics.lifecycle, messages: [{ key: draft.orgId, value: this.lifecycle.encode(record) }] });
    return eventId;
  }

  /**
   * Publishes a command keyed by run id (a run's commands apply in order). A run.request
   * without a run id gets the one the worker will derive, so it is keyed the same way.
   * Returns the command id and the run id.
   */
  async publishCommand(draft: WorkflowCommandDraft): Promise<{ commandId: string; runId: string }> {
    const commandId = draft.commandId ?? randomUUID();
    const runId = draft.runId ?? runIdFor("command", commandId);
    const record = {
      commandId,
      type: draft.type,
      runId,
      workflowId: draft.workflowId ?? null,
      input: JSON.stringify(draft.input ?? {}),
      reason: draft.reason ?? null,
      actor: draft.actor,
      correlationId: draft.correlationId ?? commandId,
      time: draft.time ?? new Date(),
      transport: draft.type === "run.request" ? (draft.transport ?? "kafka") : null,
    };
    await this.producer.send({ topic: this.topics.commands, messages: [{ key: runId, value: this.commands.encode(record) }] });
    return { commandId, runId };
  }
}
