import { parseContactPoints } from "@taskflow/cassandra";
import type { Logger } from "@taskflow/kafka";
import type { WorkerEnv } from "./env.ts";
import type { WorkerConfig } from "./worker.ts";

/**
 * The worker's configuration as the environment describes it; main.ts and the
 * crash proof's test process start from the same settings.
 */
export function workerConfigFromEnv(env: WorkerEnv, workerId: string, logger: Logger): WorkerConfig {
  return {
    workerId,
    brokers: env.KAFKA_BROKERS.split(",").map((b) => b.trim()),
    registryUrl: env.SCHEMA_REGISTRY_URL,
    cassandra: { contactPoints: parseContactPoints(env.CASSANDRA_CONTACT_POINTS), port: env.CASSANDRA_PORT, localDataCenter: env.CASSANDRA_LOCAL_DC },
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.WORKER_REDIS_KEY_PREFIX,
    groupId: env.WORKER_GROUP_ID,
    concurrency: env.WORKER_CONCURRENCY,
    http: { host: env.WORKER_HTTP_HOST, port: env.WORKER_HTTP_PORT },
    control: env.WORKER_CONSUME_CONTROL === "true" ? {} : undefined,
    reconcile: { stalledThresholdSeconds: env.WORKER_STALLED_THRESHOLD_SECONDS, intervalMs: env.WORKER_RECONCILE_INTERVAL_MS },
    logger,
  };
}
