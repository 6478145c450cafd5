import type { Logger, Producer } from "@taskflow/kafka";
import {
  AvroTopicConsumer,
  controlEncoder,
  lifecycleEventRecordSchema,
  lifecycleEventSchema,
  lifecycleTopic,
  runIdFor,
  type LifecycleEvent,
  type LifecycleEventType,
} from "@taskflow/workflow-adapters";
import type { ExampleBlueprintId } from "../nodes/index.ts";

/** The workflow each lifecycle event type starts. */
export const LIFECYCLE_WORKFLOWS: Readonly<Record<LifecycleEventType, ExampleBlueprintId>> = {
  "employee.onboard": "employee-onboarding",
  "employee.exit": "employee-offboarding",
  "employee.transfer": "employee-transfer",
  "employee.update": "employee-update",
};

/** A running control consumer: liveness for health checks, and an idempotent stop. */
export interface ControlConsumer {
  isConsuming(): boolean;
  stop(): Promise<void>;
}

/** Reports a handler's outcome (or `failed`, re-throwing) to `observe`. */
export async function observed(handling: Promise<string>, observe: ((outcome: string) => void) | undefined): Promise<void> {
  try {
    observe?.(await handling);
  } catch (error) {
    observe?.("failed");
    throw error;
  }
}

/** Starts a run of a shipped workflow (the worker's `startRun`). */
export type StartExampleRun = (request: { blueprintId: ExampleBlueprintId; input: unknown; correlationId: string; runId: string }) => Promise<{ runId: string; created: boolean }>;

/**
 * Handles one lifecycle event: starts its mapped workflow with the event's correlation id
 * and a run id derived from the event id, so a redelivered event starts the run once.
 * Resolves once the run (and its start jobs) are durable.
 */
export async function handleLifecycleEvent(event: LifecycleEvent, deps: { startRun: StartExampleRun; logger: Logger }): Promise<"started" | "already-started"> {
  const log = { eventId: event.eventId, type: event.type, orgId: event.orgId, correlationId: event.correlationId };
  const blueprintId = LIFECYCLE_WORKFLOWS[event.type];
  const runId = runIdFor("lifecycle", event.eventId);
  const input = { ...event.data, employeeId: event.employeeId, orgId: event.orgId, lifecycleEventId: event.eventId };
  const { created } = await deps.startRun({ blueprintId, input, correlationId: event.correlationId, runId });
  deps.logger.info(created ? "lifecycle event started a run" : "lifecycle event's run already exists (redelivery)", { ...log, runId, blueprintId });
  return created ? "started" : "already-started";
}

export interface LifecycleConsumerOptions {
  brokers: string[];
  clientId: string;
  groupId: string;
  registry: Parameters<typeof controlEncoder>[0];
  /** Shared producer (dead letters); not disconnected by `stop()`. */
  producer: Producer;
  startRun: StartExampleRun;
  logger: Logger;
  /** Sees each event's outcome, or `failed` when handling threw (metrics). */
  observe?: (outcome: string) => void;
  /** Overrides of the catalog's `taskflow-lifecycle` and its dead-letter topic (tests). */
  topic?: string;
  deadLetterTopic?: string;
}

/** Consumes lifecycle events (see {@link handleLifecycleEvent}); resolves once consuming. */
export async function startLifecycleConsumer(options: LifecycleConsumerOptions): Promise<ControlConsumer> {
  const catalog = lifecycleTopic();
  const encoder = await controlEncoder(options.registry, "lifecycle");
  const consumer = new AvroTopicConsumer<LifecycleEvent>({
    brokers: options.brokers,
    clientId: options.clientId,
    groupId: options.groupId,
    topic: options.topic ?? catalog.name,
    deadLetterTopic: options.deadLetterTopic ?? catalog.deadLetter,
    schema: lifecycleEventSchema(),
    schemaId: encoder.schemaId,
    parse: (value) => lifecycleEventRecordSchema.parse(value),
    producer: options.producer,
    logger: options.logger,
  });
  await consumer.start((event) => observed(handleLifecycleEvent(event, options), options.observe));
  return consumer;
}
