/**
 * The workflow worker's entry point: consumes node jobs and drives workflow runs
 * (see worker.ts). Stops on SIGTERM/SIGINT: intake first, then the clients; exits
 * non-zero if start-up or shutdown fails.
 */
import { hostname } from "node:os";
import { jsonLinesLogger } from "@taskflow/kafka";
import { env } from "./env.ts";
import { startWorker, type Worker } from "./worker.ts";
import { workerConfigFromEnv } from "./worker-config-from-env.ts";

const workerId = env.WORKER_ID ?? `${hostname()}-${process.pid}`;
const logger = jsonLinesLogger({ component: "worker", workerId }, env.LOG_LEVEL);

async function main(): Promise<void> {
  const started: { worker?: Worker } = {};
  let stopping = false;
  const stop = (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info("worker stopping", { signal });
    (started.worker?.stop() ?? Promise.resolve()).then(
      () => {
        logger.info("worker stopped", { signal });
        process.exit(exitCode);
      },
      (error: unknown) => {
        logger.error("worker shutdown failed", { signal, error });
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  // NOTE: no reconnect on a lost RabbitMQ connection: stop and exit non-zero, the supervisor restarts us.
  started.worker = await startWorker(workerConfigFromEnv(env, workerId, logger, () => stop("rabbitmq connection lost", 1)));
}

process.on("unhandledRejection", (error) => {
  logger.error("unhandled rejection", { error });
  process.exit(1);
});

main().catch((error: unknown) => {
  logger.error("worker failed to start", { error });
  process.exit(1);
});
