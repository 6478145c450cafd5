import type { Logger, Producer, createSchemaRegistry } from "@taskflow/kafka";
import type { EngineRunStore, EventSink, JobQueue, NodeJob, ReconcilableEngine, Reconciler, RunEvent } from "@taskflow/workflow";
import type { WorkflowTransport } from "@taskflow/workflow-adapters";
import type { EffectRecorder } from "../nodes/effects.ts";

/** The run state a worker needs: the engine's store plus what nodes and tests use. */
export interface WorkerRunStore extends EngineRunStore, EffectRecorder {
  countEffects(runId: string): Promise<number>;
}

/**
 * One transport's half of a worker (issue #6): where jobs travel, where run state lives,
 * how run events reach the event store and how stalled runs are found. The engine, the
 * control consumers and the HTTP endpoints are the same for every transport.
 */
export interface WorkflowRuntime {
  transport: WorkflowTransport;
  store: WorkerRunStore;
  jobs: JobQueue;
  /** Where the engine hands committed events (published to the workflow-events topic, now or via an outbox). */
  events: EventSink;
  /** Publishes jobs as they are (tests duplicate deliveries with it). */
  publishJobs(jobs: readonly NodeJob[]): Promise<void>;
  /** The reconciler over this transport's state, steering `engine`. */
  reconciler(engine: ReconcilableEngine, options: { stalledThresholdSeconds: number; logger: Logger }): Reconciler;
  /** Named liveness checks of this transport's services. */
  health(): Promise<Record<string, boolean>>;
  /** Closes the runtime's clients; called after the job queue stopped. */
  close(): Promise<void>;
}

/** What every runtime gets from the worker: the shared Kafka producer and registry, a logger. */
export interface RuntimeDependencies {
  workerId: string;
  clientId: string;
  brokers: string[];
  producer: Producer;
  registry: SchemaRegistry;
  logger: Logger;
  /** Sees every event handed to the runtime's sink (tests). */
  onEvents?: (events: readonly RunEvent[]) => void;
}

type SchemaRegistry = ReturnType<typeof createSchemaRegistry>;

const HEALTH_CHECK_TIMEOUT_MS = 2_000;

/** `true` if `check` settles successfully within 2 s. */
export async function answers(check: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), HEALTH_CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check.then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
