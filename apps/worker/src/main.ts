/**
 * The workflow worker's entry point: consumes node jobs and drives workflow runs
 * (see worker.ts). Stops on SIGTERM/SIGINT: intake first, then the clients; exits
 * non-zero if start-up or shutdown fails.
 */
import { hostname } from "node:os";
import { jsonLinesLogger } from "@taskflow/kafka";
import { env } from "./env.ts";
import { startWorker } from "./worker.ts";
import { workerConfigFromEnv } from "./worker-config-from-env.ts";

const workerId = env.WORKER_ID ?? `${hostname()}-${process.pid}`;
const logger = jsonLinesLogger({ component: "worker", workerId }, env.LOG_LEVEL);

async function main(): Promise<void> {
  const worker = await startWorker(workerConfigFromEnv(env, workerId, logger));

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
