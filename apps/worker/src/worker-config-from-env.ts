import { parseContactPoints } from "@taskflow/cassandra";
import type { Logger } from "@taskflow/kafka";
import type { WorkerEnv } from "./env.ts";
import type { WorkerConfig } from "./worker.ts";

/**
 * The worker's configuration as the environment describes it; main.ts and the
 * crash proof's test process start from the same settings. `onConnectionLost`: what to
 * do when the RabbitMQ transport loses its broker (main.ts stops and exits non-zero).
 */
export function workerConfigFromEnv(env: WorkerEnv, workerId: string, logger: Logger, onConnectionLost?: (error: Error) => void): WorkerConfig {
  return {
    workerId,
    brokers: env.KAFKA_BROKERS.split(",").map((b) => b.trim()),
    registryUrl: env.SCHEMA_REGISTRY_URL,
    cassandra: { contactPoints: parseContactPoints(env.CASSANDRA_CONTACT_POINTS), port: env.CASSANDRA_PORT, localDataCenter: env.CASSANDRA_LOCAL_DC },
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.WORKER_REDIS_KEY_PREFIX,
    groupId: env.WORKER_GROUP_ID ?? (env.WORKFLOW_TRANSPORT === "rabbitmq" ? "taskflow-workflow-worker-rabbitmq" : "taskflow-workflow-worker"),
    transport:
      env.WORKFLOW_TRANSPORT === "rabbitmq"
        ? { kind: "rabbitmq", rabbitmqUrl: env.RABBITMQ_URL, databaseUrl: env.DATABASE_URL, jobsQueue: env.RABBITMQ_JOBS_QUEUE, prefetch: env.RABBITMQ_PREFETCH, onConnectionLost }
        : { kind: "kafka" },
    concurrency: env.WORKER_CONCURRENCY,
    http: { host: env.WORKER_HTTP_HOST, port: env.WORKER_HTTP_PORT },
    control: env.WORKER_CONSUME_CONTROL === "true" ? { lifecycle: env.WORKFLOW_LIFECYCLE_TRANSPORT === env.WORKFLOW_TRANSPORT } : undefined,
    reconcile: { stalledThresholdSeconds: env.WORKER_STALLED_THRESHOLD_SECONDS, intervalMs: env.WORKER_RECONCILE_INTERVAL_MS },
    logger,
  };
}
