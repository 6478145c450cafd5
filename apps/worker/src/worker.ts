import { createProducer, createSchemaRegistry, jsonLinesLogger, type Logger, type Producer } from "@taskflow/kafka";
import { WorkflowEngine, type NodeJob, type Reconciler, type ReconciliationStats, type RunEvent } from "@taskflow/workflow";
import { RedisCoordinationStore } from "@taskflow/workflow-adapters";
import { Redis } from "ioredis";
import { startCommandConsumer } from "./control/command-consumer.ts";
import { startLifecycleConsumer } from "./control/lifecycle-consumer.ts";
import { startHttpServer, type HealthReport } from "./http.ts";
import { WorkerMetrics } from "./metrics.ts";
import { EXAMPLE_BLUEPRINT_IDS, loadExampleBlueprint, workerRegistry, type ExampleBlueprintId } from "./nodes/index.ts";
import { startKafkaRuntime } from "./runtime/kafka-runtime.ts";
import { startRabbitMqRuntime, type RabbitMqRuntimeConfig } from "./runtime/rabbitmq-runtime.ts";
import { answers, type WorkerRunStore } from "./runtime/workflow-runtime.ts";

/** Everything a worker process needs; `main` fills it from env.ts, tests from their own names. */
export interface WorkerConfig {
  workerId: string;
  /**
   * Where node jobs travel and run state lives: Kafka + Cassandra (default, issue #4) or
   * RabbitMQ + PostgreSQL (issue #6). Kafka (control, events) and Redis serve both.
   */
  transport?: { kind: "kafka" } | RabbitMqRuntimeConfig;
  brokers: string[];
  registryUrl: string;
  /** Run state of the Kafka transport. */
  cassandra: { contactPoints: string[]; port: number; localDataCenter: string };
  redisUrl: string;
  /** Prefix of the Redis keys (tests pass a unique one). */
  redisKeyPrefix: string;
  groupId: string;
  /** Jobs-topic partitions handled in parallel. */
  concurrency: number;
  /** `/health` and `/metrics`; no server when absent. */
  http?: { host: string; port: number };
  /** Topic overrides (tests use their own topics with the catalog's schema subjects). */
  jobsTopic?: string;
  deadLetterTopic?: string;
  eventsTopic?: string;
  logger?: Logger;
  /** Sees every published run event (tests). */
  onEvents?: (events: readonly RunEvent[]) => void;
  /** Consume lifecycle events and workflow commands; no control consumers when absent. */
  control?: ControlConfig;
  /** Periodic reconciliation of stalled runs; the reconciler exists (for `reconcile()`) but never runs by itself when `intervalMs` is absent. */
  reconcile?: { stalledThresholdSeconds: number; intervalMs?: number };
}

/** The control consumers' groups and topic overrides (tests use their own topics). */
export interface ControlConfig {
  /** Consume lifecycle events too (default true); commands are always consumed. */
  lifecycle?: boolean;
  /** Consumer groups; default `<groupId>-lifecycle` and `<groupId>-commands`. */
  lifecycleGroupId?: string;
  commandsGroupId?: string;
  lifecycleTopic?: string;
  lifecycleDeadLetterTopic?: string;
  commandsTopic?: string;
  commandsDeadLetterTopic?: string;
}

/** A running worker: its engine, a way to start runs, health, metrics and one idempotent `stop()`. */
export interface Worker {
  engine: WorkflowEngine;
  store: WorkerRunStore;
  metrics: WorkerMetrics;
  /** The port `/health` and `/metrics` listen on, if any. */
  httpPort: number | undefined;
  /** Starts a run of one of the shipped example workflows. */
  startRun(request: { blueprintId: ExampleBlueprintId; input: unknown; correlationId: string; runId?: string }): Promise<{ runId: string; created: boolean }>;
  /** Publishes jobs on the worker's jobs topic as they are (tests use it to duplicate deliveries). */
  publishJobs(jobs: readonly NodeJob[]): Promise<void>;
  health(): Promise<HealthReport>;
  /** Runs one reconciliation pass now (the periodic one, if configured, runs as well). */
  reconcile(): Promise<ReconciliationStats>;
  /** Stops intake (draining in-flight jobs), then disconnects everything. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Connects the worker's clients, builds the engine over its transport's runtime
 * (Kafka/Cassandra or RabbitMQ/PostgreSQL) and Redis, and starts consuming jobs. Rejects (after closing what it opened) if any
 * service is unreachable or a schema is not registered.
 */
export async function startWorker(config: WorkerConfig): Promise<Worker> {
  const logger = config.logger ?? jsonLinesLogger({ component: "worker", workerId: config.workerId });
  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    const errors: unknown[] = [];
    for (const close of closers.reverse()) await close().catch((error: unknown) => errors.push(error));
    closers.length = 0;
    if (errors.length > 0) throw new AggregateError(errors, "worker shutdown failed");
  };

  try {
    const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
    closers.push(() => redis.quit());
    const clientId = `taskflow-worker-${config.workerId}`;
    const producer: Producer = await createProducer({ clientId, brokers: config.brokers, logger });
    closers.push(() => producer.disconnect());
    const registry = createSchemaRegistry({ url: config.registryUrl, clientId });
    const coordination = new RedisCoordinationStore(redis, { keyPrefix: config.redisKeyPrefix });

    const deps = { workerId: config.workerId, clientId, brokers: config.brokers, producer, registry, logger, onEvents: config.onEvents };
    const runtime =
      config.transport?.kind === "rabbitmq"
        ? await startRabbitMqRuntime({ eventsTopic: config.eventsTopic, ...config.transport }, deps)
        : await startKafkaRuntime(config, { ...deps, coordination });
    closers.push(() => runtime.close());
    const { store, jobs: queue } = runtime;
    const metrics = new WorkerMetrics();
    const engine = new WorkflowEngine({
      registry: workerRegistry(store),
      store,
      coordination,
      jobs: queue,
      events: runtime.events,
      blueprints: EXAMPLE_BLUEPRINT_IDS.map(loadExampleBlueprint),
      logger,
      observer: metrics,
      actor: `system:worker:${config.workerId}`,
    });

    let consuming = false;
    // NOTE: registered first, so it runs before the clients it needs are closed.
    closers.push(async () => {
      consuming = false;
      await queue.stop();
    });
    await queue.consume(async (job) => {
      try {
        await engine.handleJob(job);
      } catch (error) {
        metrics.jobFailed();
        logger.error("job handling failed; it will be redelivered", { runId: job.runId, correlationId: job.correlationId, nodeId: job.nodeId, attempt: job.attempt, error });
        throw error;
      }
    });
    consuming = true;

    const controlChecks: Record<string, () => boolean> = {};
    if (config.control) {
      const control = config.control;
      const startRun = (request: { blueprintId: ExampleBlueprintId; input: unknown; correlationId: string; runId: string }) =>
        engine.startRun({ ...request, blueprint: loadExampleBlueprint(request.blueprintId) });
      const common = { brokers: config.brokers, clientId, registry, producer, logger };
      if (control.lifecycle ?? true) {
        const lifecycle = await startLifecycleConsumer({
          ...common,
          observe: (outcome) => metrics.controlMessage("lifecycle", outcome),
          groupId: control.lifecycleGroupId ?? `${config.groupId}-lifecycle`,
          topic: control.lifecycleTopic,
          deadLetterTopic: control.lifecycleDeadLetterTopic,
          startRun,
        });
        // NOTE: control consumers stop before the job queue (closers run in reverse).
        closers.push(() => lifecycle.stop());
        controlChecks.lifecycleConsumer = () => lifecycle.isConsuming();
      }
      const commands = await startCommandConsumer({
        ...common,
        observe: (outcome) => metrics.controlMessage("command", outcome),
        transport: runtime.transport,
        groupId: control.commandsGroupId ?? `${config.groupId}-commands`,
        topic: control.commandsTopic,
        deadLetterTopic: control.commandsDeadLetterTopic,
        target: {
          startRun,
          pause: (runId, reason) => engine.pause(runId, reason),
          resume: (runId, reason) => engine.resume(runId, reason),
          cancel: (runId, reason) => engine.cancel(runId, reason),
          readRun: (runId) => store.readRun(runId),
        },
      });
      closers.push(() => commands.stop());
      controlChecks.commandConsumer = () => commands.isConsuming();
    }

    const reconciler = observedReconciler(runtime.reconciler(engine, { stalledThresholdSeconds: config.reconcile?.stalledThresholdSeconds ?? 30, logger }), metrics);
    const intervalMs = config.reconcile?.intervalMs;
    const startedAt = Date.now();
    if (intervalMs !== undefined && intervalMs > 0) {
      closers.push(startPeriodic(reconciler, intervalMs, logger));
      // NOTE: a periodic reconciler that has not finished a pass for 3 intervals is stuck.
      controlChecks.reconciler = () => Date.now() - Math.max(startedAt, metrics.lastReconciliationAt()) < 3 * intervalMs + 30_000;
    }

    const health = async (): Promise<HealthReport> => {
      const [runtimeChecks, redisUp] = await Promise.all([runtime.health(), answers(redis.ping())]);
      const checks: Record<string, boolean> = { consumer: consuming, ...runtimeChecks, redis: redisUp };
      for (const [name, check] of Object.entries(controlChecks)) checks[name] = check();
      return { healthy: Object.values(checks).every(Boolean), checks };
    };

    let httpPort: number | undefined;
    if (config.http) {
      const server = await startHttpServer({ ...config.http, health, metrics: () => metrics.render() });
      httpPort = server.port;
      // NOTE: at the front so it closes last: health and metrics stay up during the drain.
      closers.unshift(server.close);
    }

    logger.info("worker started", { groupId: config.groupId, httpPort, topic: config.jobsTopic ?? "default" });
    let stopped: Promise<void> | undefined;
    return {
      engine,
      store,
      metrics,
      httpPort,
      startRun: (request) => engine.startRun({ ...request, blueprint: loadExampleBlueprint(request.blueprintId) }),
      publishJobs: (jobs) => runtime.publishJobs(jobs),
      health,
      reconcile: () => reconciler.run(),
      stop: () => (stopped ??= closeAll()),
    };
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
}

/** The reconciler, reporting every pass (or its failure) to the metrics. */
function observedReconciler(reconciler: Reconciler, metrics: WorkerMetrics): Reconciler {
  return {
    async run() {
      try {
        const stats = await reconciler.run();
        metrics.reconciliationPass(stats);
        return stats;
      } catch (error) {
        metrics.reconciliationPass(undefined);
        throw error;
      }
    },
  };
}

/**
 * Runs reconciliation passes every `intervalMs`, never two at once; returns the stopper
 * (which waits for a running pass). A failing pass is logged and the next one tries again.
 */
function startPeriodic(reconciler: Reconciler, intervalMs: number, logger: Logger): () => Promise<void> {
  let current: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    current = current.then(async () => {
      try {
        const stats = await reconciler.run();
        if (stats.stalledRuns > 0) logger.info("reconciliation pass", { ...stats });
      } catch (error) {
        logger.error("reconciliation pass failed", { error });
      }
    });
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await current;
  };
}
