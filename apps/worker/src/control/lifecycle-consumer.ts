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

/**
 * The workflow each lifecycle event type starts. `undefined`: no workflow exists for it
 * yet; such an event is logged and committed (nothing to do, nothing lost: it stays on
 * the topic for a future consumer group).
 */
export const LIFECYCLE_WORKFLOWS: Readonly<Record<LifecycleEventType, ExampleBlueprintId | undefined>> = {
  "employee.onboard": "employee-onboarding",
  "employee.exit": "employee-offboarding",
  "employee.transfer": "employee-transfer",
  "employee.update": "employee-update",
};

/** Starts a run of a shipped workflow (the worker's `startRun`). */
export type StartExampleRun = (request: { blueprintId: ExampleBlueprintId; input: unknown; correlationId: string; runId: string }) => Promise<{ runId: string; created: boolean }>;

/**
 * Handles one lifecycle event: starts its mapped workflow with the event's correlation id
 * and a run id derived from the event id, so a redelivered event starts the run once.
 * Resolves once the run (and its start jobs) are durable.
 */
export async function handleLifecycleEvent(event: LifecycleEvent, deps: { startRun: StartExampleRun; logger: Logger }): Promise<void> {
  const log = { eventId: event.eventId, type: event.type, orgId: event.orgId, correlationId: event.correlationId };
  const blueprintId = LIFECYCLE_WORKFLOWS[event.type];
  if (!blueprintId) {
    deps.logger.info("no workflow is mapped to this lifecycle event; committed", log);
    return;
  }
  const runId = runIdFor("lifecycle", event.eventId);
  const input = { ...event.data, employeeId: event.employeeId, orgId: event.orgId, lifecycleEventId: event.eventId };
  const { created } = await deps.startRun({ blueprintId, input, correlationId: event.correlationId, runId });
  deps.logger.info(created ? "lifecycle event started a run" : "lifecycle event's run already exists (redelivery)", { ...log, runId, blueprintId });
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
  /** Overrides of the catalog's `taskflow-lifecycle` and its dead-letter topic (tests). */
  topic?: string;
  deadLetterTopic?: string;
}

/** Consumes lifecycle events (see {@link handleLifecycleEvent}); resolves once consuming. */
export async function startLifecycleConsumer(options: LifecycleConsumerOptions): Promise<{ stop(): Promise<void> }> {
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
  await consumer.start((event) => handleLifecycleEvent(event, options));
  return consumer;
}
