/**
 * The projector's entry point (`npm start -w @taskflow/projector`): parses the
 * environment, starts the analytics projector, the run-status projector and their
 * /health + /metrics server, and stops them on SIGTERM/SIGINT. Exits non-zero when
 * start-up fails, a consumer dies for good, or the shutdown does not finish in time.
 */
import { jsonLinesLogger } from "@taskflow/kafka";
import { parseContactPoints } from "@taskflow/cassandra";
import { startHttpServer, type ProjectorHttpServer } from "./http.ts";
import { startProjector, type Projector } from "./projector.ts";
import { startRunProjector, type RunProjector } from "./workflow-runs/run-projector.ts";

const bootLogger = jsonLinesLogger({ service: "projector" });

async function main(): Promise<void> {
  let env;
  try {
    ({ env } = await import("./env.ts"));
  } catch (error) {
    bootLogger.error("invalid configuration, not starting", { error });
    process.exit(1);
  }
  const logger = jsonLinesLogger({ service: "projector" }, env.LOG_LEVEL);

  let projector: Projector | undefined;
  let runProjector: RunProjector | undefined;
  let http: ProjectorHttpServer | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (reason: string, exitCode: number) => {
    stopping ??= (async () => {
      logger.info("shutting down", { reason });
      const timer = setTimeout(() => {
        logger.error("shutdown timed out", { timeoutMs: env.PROJECTOR_SHUTDOWN_TIMEOUT_MS });
        process.exit(1);
      }, env.PROJECTOR_SHUTDOWN_TIMEOUT_MS);
      timer.unref();
      let code = exitCode;
      try {
        await http?.close();
      } catch (error) {
        logger.error("shutdown failed", { error });
        code = 1;
      }
      // Both projections stop side by side; one failing does not keep the other running.
      const stopped = await Promise.allSettled([projector?.stop(), runProjector?.stop()]);
      for (const outcome of stopped) {
        if (outcome.status === "rejected") {
          logger.error("shutdown failed", { error: outcome.reason });
          code = 1;
        }
      }
      process.exit(code);
    })();
  };
  process.once("SIGTERM", () => stop("SIGTERM", 0));
  process.once("SIGINT", () => stop("SIGINT", 0));

  try {
    projector = await startProjector({
    brokers: env.KAFKA_BROKERS,
    registryUrl: env.SCHEMA_REGISTRY_URL,
    cassandra: {
      contactPoints: parseContactPoints(env.CASSANDRA_CONTACT_POINTS),
      port: env.CASSANDRA_PORT,
      localDataCenter: env.CASSANDRA_LOCAL_DC,
    },
    groupId: env.PROJECTOR_GROUP_ID,
    batchSize: env.PROJECTOR_BATCH_SIZE,
    sessionTimeoutMs: env.PROJECTOR_SESSION_TIMEOUT_MS,
    contractsDir: env.TASKFLOW_CONTRACTS_DIR,
    logger,
    onFatal: (error) => {
      logger.error("consumer stopped for good", { error });
      stop("consumer crashed", 1);
    },
    });
    runProjector = await startRunProjector({
      brokers: env.KAFKA_BROKERS,
      registryUrl: env.SCHEMA_REGISTRY_URL,
      cassandra: {
        contactPoints: parseContactPoints(env.CASSANDRA_CONTACT_POINTS),
        port: env.CASSANDRA_PORT,
        localDataCenter: env.CASSANDRA_LOCAL_DC,
      },
      groupId: env.PROJECTOR_RUNS_GROUP_ID,
      sessionTimeoutMs: env.PROJECTOR_SESSION_TIMEOUT_MS,
      gapWaitMs: env.PROJECTOR_RUNS_GAP_WAIT_MS,
      contractsDir: env.TASKFLOW_CONTRACTS_DIR,
      logger,
      onFatal: (error) => {
        logger.error("run projector consumer stopped for good", { error });
        stop("run projector consumer crashed", 1);
      },
    });
    http = await startHttpServer(projector, env.PROJECTOR_HTTP_HOST, env.PROJECTOR_HTTP_PORT, runProjector);
  } catch (error) {
    // CRITICAL: never carry on half-started; close what did start, then exit non-zero.
    logger.error("projector failed to start", { error });
    stop("start-up failed", 1);
    return;
  }
  logger.info("health and metrics listening", { url: `http://${env.PROJECTOR_HTTP_HOST}:${http.port}/health` });
}

main().catch((error: unknown) => {
  bootLogger.error("projector failed to start", { error });
  process.exit(1);
});

process.on("unhandledRejection", (error) => {
  bootLogger.error("unhandled rejection", { error });
  process.exit(1);
});
