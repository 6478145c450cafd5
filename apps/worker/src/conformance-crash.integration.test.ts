import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { services } from "../../../tests/support/services.ts";
import {
  ONBOARDING_EFFECTS,
  WorkflowEventCollector,
  expectCompletedOnce,
  startOnboardingRuns,
  testEngine,
  transportClients,
  waitUntilCompleted,
  type TransportClients,
} from "./testing/conformance-support.ts";
import { REDIS_URL, freePort, waitFor } from "./testing/proof-support.ts";
import { PROOF_TRANSPORTS, transportHarness } from "./testing/transport-harness.ts";

/**
 * Issue #6 conformance (issue #4's crash proof, once per transport): a worker process
 * SIGKILLed with nodes in flight; a second worker process finishes every run, each effect
 * exactly once and the events gap-free. What brings the killed process' work back differs:
 * Kafka redelivers uncommitted offsets once the dead member's session expires (30 s),
 * RabbitMQ requeues unacknowledged jobs when the connection drops; the reconciler resumes
 * runs whose next jobs were never published. The processes run testing/worker-process.ts
 * (main.ts's start-up plus the test's names and slow effects); runs are started here by an
 * engine that only publishes jobs.
 */
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const entry = fileURLToPath(new URL("./testing/worker-process.ts", import.meta.url));
const RUNS = 10;
const EFFECT_DELAY_MS = 700;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

const exited = (child: ChildProcess) => waitFor("worker process exit", () => (child.exitCode !== null || child.signalCode !== null ? true : undefined), 30_000);

describe.each(PROOF_TRANSPORTS)("issue #6 conformance (%s): a worker process killed mid-run", (transport) => {
  const harness = transportHarness(transport, "crash");
  const children: ChildProcess[] = [];
  let redis: Redis;
  let clients: TransportClients;
  let events: WorkflowEventCollector;

  async function startWorkerProcess(workerId: string): Promise<{ child: ChildProcess; output: string[] }> {
    const port = await freePort();
    const output: string[] = [];
    // NOTE: node itself (no tsx CLI wrapper that would outlive a SIGKILL), in its own process group.
    const child = spawn(process.execPath, ["--import", "tsx", entry], {
      cwd: repoRoot,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        KAFKA_BROKERS: services.kafkaBrokers.join(","),
        SCHEMA_REGISTRY_URL: services.registryUrl,
        REDIS_URL,
        ...harness.workerProcessEnv(),
        WORKER_ID: workerId,
        WORKER_REDIS_KEY_PREFIX: harness.names.redisKeyPrefix,
        WORKER_HTTP_PORT: String(port),
        // Three jobs in flight at once on either transport.
        WORKER_CONCURRENCY: "3",
        RABBITMQ_PREFETCH: "3",
        WORKER_CONSUME_CONTROL: "false",
        WORKER_RECONCILE_INTERVAL_MS: "1000",
        WORKER_STALLED_THRESHOLD_SECONDS: "3",
        LOG_LEVEL: "info",
        PROOF_JOBS_TOPIC: harness.names.jobsTopic,
        PROOF_DEAD_LETTER_TOPIC: harness.names.deadLetterTopic,
        PROOF_EVENTS_TOPIC: harness.names.eventsTopic,
        PROOF_EFFECT_DELAY_MS: String(EFFECT_DELAY_MS),
      },
    });
    children.push(child);
    for (const stream of [child.stdout, child.stderr]) stream?.on("data", (chunk: Buffer) => output.push(...chunk.toString().split("\n").filter(Boolean)));
    await waitFor(
      `worker process ${workerId} healthy`,
      async () => {
        if (child.exitCode !== null) throw new Error(`worker process ${workerId} exited ${child.exitCode}: ${output.slice(-5).join("\n")}`);
        const response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        return response?.ok ? true : undefined;
      },
      60_000,
    );
    return { child, output };
  }

  beforeAll(async () => {
    await harness.setUp();
    redis = new Redis(REDIS_URL, { lazyConnect: true });
    await redis.connect();
    clients = await transportClients(harness);
    events = await WorkflowEventCollector.start(harness.names.eventsTopic);
  });

  afterAll(async () => {
    for (const child of children) killGroup(child, "SIGKILL");
    await Promise.all(children.map((child) => exited(child).catch(() => undefined)));
    await events?.stop();
    await clients?.close();
    await redis?.quit();
    await harness.tearDown();
  });

  it("finishes every run exactly once on a second worker process after SIGKILL", async () => {
    const { engine: starter } = testEngine(clients, redis, harness, "publish");
    const first = await startWorkerProcess(`it-crash-a-${harness.names.suffix}`);
    const runIds = await startOnboardingRuns(starter, `it-crash-${transport}`, RUNS);
    const effects = async () => (await Promise.all(runIds.map((runId) => clients.store.countEffects(runId)))).reduce((a, b) => a + b, 0);
    // Kill once work is under way (nodes take >= 700 ms each, 3 at a time).
    await waitFor("some effects recorded", async () => ((await effects()) >= 4 ? true : undefined), 60_000);
    killGroup(first.child, "SIGKILL");
    await exited(first.child);
    expect(first.child.signalCode).toBe("SIGKILL");
    const atKill = await Promise.all(runIds.map((runId) => clients.store.readRun(runId)));
    const unfinished = atKill.filter((run) => run?.status !== "completed").length;
    console.log(`[${transport}] killed with ${await effects()} of ${RUNS * ONBOARDING_EFFECTS} effects recorded, ${unfinished} of ${RUNS} runs unfinished`);
    expect(unfinished).toBeGreaterThan(0);

    const killedAt = Date.now();
    const second = await startWorkerProcess(`it-crash-b-${harness.names.suffix}`);
    await waitUntilCompleted(clients.store, runIds, 100_000);
    const reconciled = second.output.filter((line) => line.includes('"reconciliation pass"')).length;
    console.log(`[${transport}] recovered ${Date.now() - killedAt} ms after the kill (${reconciled} reconciliation passes found stalled runs)`);
    let duplicates = 0;
    let rescheduled = 0;
    for (const runId of runIds) {
      const checked = await expectCompletedOnce(clients.store, events, runId, transport);
      duplicates += checked.duplicates;
      rescheduled += checked.rescheduled;
    }
    console.log(`[${transport}] each effect once, events gap-free; ${rescheduled} nodes re-enqueued by the reconciler, ${duplicates} duplicate event records`);
    killGroup(second.child, "SIGTERM");
    await exited(second.child);
    expect(second.child.exitCode).toBe(0);
  });
});
