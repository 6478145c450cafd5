import {
  OutboxEventSink,
  OutboxRelay,
  PostgresRunStateStore,
  RabbitMqJobQueue,
  WorkflowEventPublisher,
  createRabbitMqReconciler,
} from "@taskflow/workflow-adapters";
import pg from "pg";
import { answers, type RuntimeDependencies, type WorkflowRuntime } from "./workflow-runtime.ts";

/** Where the RabbitMQ runtime keeps things (issue #6): RabbitMQ jobs, PostgreSQL state. */
export interface RabbitMqRuntimeConfig {
  kind: "rabbitmq";
  rabbitmqUrl: string;
  databaseUrl: string;
  /** Jobs queue (default `flowcraft-jobs`; dead letters in `<queue>.dlq`). */
  jobsQueue?: string;
  /** Unacknowledged jobs this process holds at once. */
  prefetch?: number;
  /** Most PostgreSQL connections of this process. */
  poolSize?: number;
  /** The workflow-events topic the outbox relay publishes to (tests use their own). */
  eventsTopic?: string;
  /** Called once if the RabbitMQ connection is lost: the process should stop and exit non-zero. */
  onConnectionLost?: (error: Error) => void;
}

/** The status table the reconciler scans (migrations/postgres/001). */
const STATUS_TABLE = "flowcraft_statuses";

/**
 * Node jobs on a RabbitMQ queue, run state in PostgreSQL, and each commit's events in the
 * same transaction in an outbox that a relay publishes to the workflow-events topic — so
 * runs complete while Kafka is down and their events reach the event store once it is back.
 */
export async function startRabbitMqRuntime(config: RabbitMqRuntimeConfig, deps: RuntimeDependencies): Promise<WorkflowRuntime> {
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.poolSize ?? 10, application_name: deps.clientId });
  // NOTE: an idle client's error (database restart) must not crash the process; queries then fail and are retried.
  pool.on("error", (error) => deps.logger.warn("postgres idle client error", { error }));
  const closers: (() => Promise<unknown>)[] = [() => pool.end()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((error: unknown) => deps.logger.warn("closing the rabbitmq runtime failed", { error }));
  };
  try {
    await pool.query("SELECT 1");
    const queue = await RabbitMqJobQueue.create({
      url: config.rabbitmqUrl,
      clientId: deps.clientId,
      queue: config.jobsQueue,
      prefetch: config.prefetch,
      logger: deps.logger,
      onConnectionLost: (error) => {
        deps.logger.error("rabbitmq connection lost; the worker must restart", { error });
        config.onConnectionLost?.(error);
      },
    });
    const relay = new OutboxRelay({
      pool,
      logger: deps.logger,
      publisher: async () => {
        const publisher = await WorkflowEventPublisher.create({ producer: deps.producer, registry: deps.registry, topic: config.eventsTopic, transport: "rabbitmq" });
        return {
          publish: async (events, context) => {
            await publisher.publish(events, context);
            deps.onEvents?.(events);
          },
        };
      },
    });
    relay.start();
    // NOTE: the relay stops after the job queue (closers run in reverse), so it publishes what the drain commits.
    closers.push(() => relay.stop());
    const store = new PostgresRunStateStore(pool, { actor: `system:worker:${deps.workerId}` });
    return {
      transport: "rabbitmq",
      store,
      jobs: queue,
      events: new OutboxEventSink(relay),
      publishJobs: (jobs) => queue.publish(jobs),
      reconciler: (engine, options) =>
        createRabbitMqReconciler({ adapter: engine, pgClient: pool, statusTableName: STATUS_TABLE, stalledThresholdSeconds: options.stalledThresholdSeconds, logger: options.logger }),
      health: async () => ({ postgres: await answers(pool.query("SELECT 1")), rabbitmq: queue.healthy }),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
