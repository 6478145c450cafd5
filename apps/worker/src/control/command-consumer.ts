import type { Logger, Producer } from "@taskflow/kafka";
import type { RunState } from "@taskflow/workflow";
import {
  AvroTopicConsumer,
  controlEncoder,
  runIdFor,
  workflowCommandRecordSchema,
  workflowCommandSchema,
  workflowCommandsTopic,
  type WorkflowCommand,
  type WorkflowTransport,
} from "@taskflow/workflow-adapters";
import { EXAMPLE_BLUEPRINT_IDS, type ExampleBlueprintId } from "../nodes/index.ts";
import { observed, type ControlConsumer, type StartExampleRun } from "./lifecycle-consumer.ts";

/** What commands steer: the engine's methods and a run lookup. */
export interface CommandTarget {
  startRun: StartExampleRun;
  pause(runId: string, reason: string): Promise<boolean>;
  resume(runId: string, reason: string): Promise<boolean>;
  cancel(runId: string, reason: string): Promise<boolean>;
  readRun(runId: string): Promise<RunState | undefined>;
}

/** What a command did, for logs and tests. */
export type CommandOutcome = "started" | "already-started" | "applied" | "ignored" | "unknown-run" | "unknown-workflow" | "other-transport";

/**
 * Applies one command. Bad input (an unknown run or workflow, a pause of a run that is
 * not running) is logged and resolves, so its offset is committed and nothing already
 * accepted is lost; a failure to apply (store or lease unavailable) rejects, and the
 * command is redelivered.
 */
export async function handleWorkflowCommand(command: WorkflowCommand, deps: { target: CommandTarget; logger: Logger; transport?: WorkflowTransport }): Promise<CommandOutcome> {
  const { target, logger } = deps;
  const log = { commandId: command.commandId, type: command.type, actor: command.actor, correlationId: command.correlationId };
  if (command.type === "run.request") {
    // Every transport's workers read the commands; the requested one starts the run.
    if ((command.transport ?? "kafka") !== (deps.transport ?? "kafka")) {
      logger.debug("run.request for another transport; ignored", { ...log, transport: command.transport });
      return "other-transport";
    }
    if (!EXAMPLE_BLUEPRINT_IDS.includes(command.workflowId as ExampleBlueprintId)) {
      logger.warn(`run.request for unknown workflow "${command.workflowId}"; ignored`, log);
      return "unknown-workflow";
    }
    const runId = command.runId ?? runIdFor("command", command.commandId);
    const { created } = await target.startRun({ blueprintId: command.workflowId as ExampleBlueprintId, input: command.input, correlationId: command.correlationId, runId });
    logger.info(created ? "run requested and started" : "requested run already exists (redelivery)", { ...log, runId });
    return created ? "started" : "already-started";
  }
  const { runId } = command;
  const reason = command.reason ?? `${command.type} by ${command.actor}`;
  const apply = command.type === "run.pause" ? target.pause : command.type === "run.resume" ? target.resume : target.cancel;
  if (await apply.call(target, runId, reason)) {
    logger.info(`${command.type} applied`, { ...log, runId, reason });
    return "applied";
  }
  const run = await target.readRun(runId);
  if (!run) {
    logger.warn(`${command.type} for unknown run id ${runId}; ignored`, { ...log, runId });
    return "unknown-run";
  }
  logger.info(`${command.type} does not apply to a ${run.status} run; ignored`, { ...log, runId, status: run.status });
  return "ignored";
}

export interface CommandConsumerOptions {
  brokers: string[];
  clientId: string;
  groupId: string;
  registry: Parameters<typeof controlEncoder>[0];
  /** Shared producer (dead letters); not disconnected by `stop()`. */
  producer: Producer;
  target: CommandTarget;
  logger: Logger;
  /** Sees each command's outcome, or `failed` when handling threw (metrics). */
  observe?: (outcome: string) => void;
  /** This worker's transport: it starts only the run.requests for it (default `kafka`). */
  transport?: WorkflowTransport;
  /** Overrides of the catalog's `taskflow-workflow-commands` and its dead-letter topic (tests). */
  topic?: string;
  deadLetterTopic?: string;
}

/** Consumes workflow commands (see {@link handleWorkflowCommand}); resolves once consuming. */
export async function startCommandConsumer(options: CommandConsumerOptions): Promise<ControlConsumer> {
  const catalog = workflowCommandsTopic();
  const encoder = await controlEncoder(options.registry, "commands");
  const consumer = new AvroTopicConsumer<WorkflowCommand>({
    brokers: options.brokers,
    clientId: options.clientId,
    groupId: options.groupId,
    topic: options.topic ?? catalog.name,
    deadLetterTopic: options.deadLetterTopic ?? catalog.deadLetter,
    schema: workflowCommandSchema(),
    schemaId: encoder.schemaId,
    parse: (value) => workflowCommandRecordSchema.parse(value),
    producer: options.producer,
    logger: options.logger,
  });
  await consumer.start((command) => observed(handleWorkflowCommand(command, options), options.observe));
  return consumer;
}
