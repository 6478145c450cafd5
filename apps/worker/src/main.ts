/**
 * The workflow worker's entry point: consumes node jobs and drives workflow runs
 * (see worker.ts). Stops on SIGTERM/SIGINT: intake first, then the clients; exits
 * non-zero if start-up or shutdown fails.
 */
import { hostname } from "node:os";
import { jsonLinesLogger } from "@taskflow/kafka";
import { parseContactPoints } from "@taskflow/cassandra";
import { env } from "./env.ts";
import { startWorker } from "./worker.ts";

const workerId = env.WORKER_ID ?? `${hostname()}-${process.pid}`;
const logger = jsonLinesLogger({ component: "worker", workerId }, env.LOG_LEVEL);

async function main(): Promise<void> {
  const worker = await startWorker({
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
  });

  const stop = (signal: string) => {
    logger.info("worker stopping", { signal });
    worker.stop().then(
      () => {
        logger.info("worker stopped", { signal });
        process.exit(0);
      },
      (error: unknown) => {
        logger.error("worker shutdown failed", { signal, error });
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

process.on("unhandledRejection", (error) => {
  logger.error("unhandled rejection", { error });
  process.exit(1);
});

main().catch((error: unknown) => {
  logger.error("worker failed to start", { error });
  process.exit(1);
});
