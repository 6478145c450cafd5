import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ONBOARDING_NODES, expectCompletedOnce, jobsHandled, waitUntilCompleted } from "./testing/onboarding-assertions.ts";
import { EventLog, outcomeCount } from "./testing/proof-support.ts";
import { PROOF_TRANSPORTS, transportHarness, type ProofTransport } from "./testing/transport-harness.ts";
import { startWorker, type Worker } from "./worker.ts";

/**
 * Conformance (issues #4 and #6), once per transport on the real stack: two in-process
 * workers in one group (own jobs topic/queue, events topic, group, Redis prefix and, for
 * RabbitMQ, PostgreSQL schema) complete 50 onboarding runs: every node effect once, every
 * run's events gap-free 1..20 with each node scheduled/started/completed once, the run's
 * correlation id on every job and event, both workers took part, and `/health` and
 * `/metrics` answer.
 */
const RUNS = 50;

/** The health checks a worker reports: the transport's own services differ. */
const HEALTH_CHECKS: Record<ProofTransport, string[]> = {
  kafka: ["cassandra", "consumer", "redis"],
  rabbitmq: ["consumer", "postgres", "rabbitmq", "redis"],
};

describe.each(PROOF_TRANSPORTS)("conformance on %s: 50 onboarding runs on two workers", (transport) => {
  const harness = transportHarness(transport, "conformance-scale");
  const events = new EventLog();
  const workers: Worker[] = [];
  /** The correlation ids of the jobs handed to the workers, per run. */
  const jobCorrelationIds = new Map<string, string[]>();

  /** Records the correlation id of every job `worker` is handed. */
  function recordJobs(worker: Worker): void {
    // The worker's job handler calls `engine.handleJob` on this very object.
    const handleJob = worker.engine.handleJob.bind(worker.engine);
    worker.engine.handleJob = (job) => {
      jobCorrelationIds.set(job.runId, [...(jobCorrelationIds.get(job.runId) ?? []), job.correlationId]);
      return handleJob(job);
    };
  }

  beforeAll(async () => {
    await harness.setUp();
    const { suffix } = harness.names;
    workers.push(
      ...(await Promise.all([
        startWorker(harness.workerConfig(`it-scale-a-${suffix}`, { onEvents: events.collect, http: { host: "127.0.0.1", port: 0 } })),
        startWorker(harness.workerConfig(`it-scale-b-${suffix}`, { onEvents: events.collect })),
      ])),
    );
    workers.forEach(recordJobs);
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await harness.tearDown();
  });

  it("completes every run with each effect once and events gap-free; both workers took part", async () => {
    const [first, second] = workers as [Worker, Worker];
    const startedAt = Date.now();
    const runs = await Promise.all(
      Array.from({ length: RUNS }, async (_, i) => {
        const runId = `it-scale-${randomUUID()}`;
        const correlationId = `corr-${runId}`;
        await (i % 2 === 0 ? first : second).startRun({ blueprintId: "employee-onboarding", input: { employeeId: `e${i}`, name: `Employee ${i}` }, correlationId, runId });
        return { runId, correlationId };
      }),
    );
    await waitUntilCompleted(first, runs.map((r) => r.runId), 60_000);
    console.log(`[${transport}] ${RUNS} onboarding runs completed in ${Date.now() - startedAt} ms`);
    for (const { runId, correlationId } of runs) {
      await expectCompletedOnce(first, events, runId, correlationId);
      expect(jobCorrelationIds.get(runId), `correlation ids of the jobs of ${runId}`).toEqual(ONBOARDING_NODES.map(() => correlationId));
    }

    // Every node ran once in all (no job executed twice), and on both workers.
    expect(jobsHandled(workers, "completed")).toBe(RUNS * ONBOARDING_NODES.length);
    const completedPerWorker = workers.map((worker) => outcomeCount(worker.metrics.render(), "completed"));
    expect(completedPerWorker.every((n) => n > 0), `jobs per worker ${completedPerWorker.join("/")}`).toBe(true);
  });

  it("answers /health with every check up and /metrics in Prometheus format", async () => {
    const [first] = workers as [Worker, Worker];
    const health = await fetch(`http://127.0.0.1:${first.httpPort}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ healthy: true, checks: Object.fromEntries(HEALTH_CHECKS[transport].map((check) => [check, true])) });
    const metrics = await (await fetch(`http://127.0.0.1:${first.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/taskflow_worker_node_duration_seconds_count \d+/);
    expect(metrics).toMatch(/taskflow_worker_jobs_handled_total\{outcome="completed"\} \d+/);
  });
});
