import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createSchemaRegistry, silentLogger } from "@taskflow/kafka";
import { WorkflowEngine } from "@taskflow/workflow";
import { CassandraRunStateStore, KafkaJobQueue, RedisCoordinationStore } from "@taskflow/workflow-adapters";
import type cassandra from "cassandra-driver";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { services, testCassandra, testKafka } from "../../../tests/support/services.ts";
import { EXAMPLE_BLUEPRINT_IDS, loadExampleBlueprint, workerRegistry } from "./nodes/index.ts";
import { REDIS_URL, createTopics, deleteTopics, freePort, proofNames, waitFor } from "./testing/proof-support.ts";

/**
 * Issue #4 proof: a worker process SIGKILLed with nodes in flight; a second worker process
 * (same group) finishes every run, each effect exactly once (redelivery of uncommitted
 * jobs once the dead member's session expires, the reconciler for stalled runs). The
 * processes run testing/worker-process.ts (main.ts's start-up plus the test's topics and
 * slow effects). Runs are started here by an engine that only publishes jobs.
 */
const kafka = testKafka("worker-proofs-crash-it");
const names = proofNames("proofs-crash");
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const entry = fileURLToPath(new URL("./testing/worker-process.ts", import.meta.url));
const children: ChildProcess[] = [];
let client: cassandra.Client;
let store: CassandraRunStateStore;
let redis: Redis;
let queue: KafkaJobQueue;
let starter: WorkflowEngine;

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
      WORKER_ID: workerId,
      WORKER_GROUP_ID: names.groupId,
      WORKER_REDIS_KEY_PREFIX: names.redisKeyPrefix,
      WORKER_HTTP_PORT: String(port),
      WORKER_CONCURRENCY: "3",
      WORKER_CONSUME_CONTROL: "false",
      WORKER_RECONCILE_INTERVAL_MS: "1000",
      WORKER_STALLED_THRESHOLD_SECONDS: "3",
      LOG_LEVEL: "info",
      PROOF_JOBS_TOPIC: names.jobsTopic,
      PROOF_DEAD_LETTER_TOPIC: names.deadLetterTopic,
      PROOF_EVENTS_TOPIC: names.eventsTopic,
      PROOF_EFFECT_DELAY_MS: "700",
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

beforeAll(async () => {
  await createTopics(kafka, names, 6);
  client = await testCassandra();
  store = new CassandraRunStateStore(client);
  redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  queue = await KafkaJobQueue.create({
    brokers: [...services.kafkaBrokers],
    clientId: `it-proofs-crash-${names.suffix}`,
    groupId: `${names.groupId}-publisher-only`,
    registry: createSchemaRegistry({ url: services.registryUrl, clientId: `it-proofs-crash-${names.suffix}` }),
    topic: names.jobsTopic,
    deadLetterTopic: names.deadLetterTopic,
    logger: silentLogger,
  });
  starter = new WorkflowEngine({
    registry: workerRegistry(store),
    store,
    coordination: new RedisCoordinationStore(redis, { keyPrefix: names.redisKeyPrefix }),
    jobs: queue,
    events: { publish: async () => undefined },
    blueprints: EXAMPLE_BLUEPRINT_IDS.map(loadExampleBlueprint),
  });
});

afterAll(async () => {
  for (const child of children) killGroup(child, "SIGKILL");
  await Promise.all(children.map((child) => exited(child).catch(() => undefined)));
  await queue?.stop();
  await redis?.quit();
  await client?.shutdown();
  await deleteTopics(kafka, names);
});

describe("issue #4 proofs: a worker process killed mid-run (real Kafka, Cassandra, Redis)", () => {
  it("finishes every run exactly once on a second worker process after SIGKILL", async () => {
    const first = await startWorkerProcess(`it-proofs-crash-a-${names.suffix}`);
    const runIds = Array.from({ length: 10 }, () => `it-proofs-crash-${randomUUID()}`);
    for (const runId of runIds) {
      await starter.startRun({ blueprint: loadExampleBlueprint("employee-onboarding"), input: { employeeId: runId }, correlationId: `corr-${runId}`, runId });
    }
    const effects = async () => (await Promise.all(runIds.map((runId) => store.countEffects(runId)))).reduce((a, b) => a + b, 0);
    // Kill once work is under way (nodes take >= 700 ms each, 3 at a time).
    await waitFor("some effects recorded", async () => ((await effects()) >= 4 ? true : undefined), 60_000);
    killGroup(first.child, "SIGKILL");
    await exited(first.child);
    expect(first.child.signalCode).toBe("SIGKILL");
    const atKill = await Promise.all(runIds.map((runId) => store.readRun(runId)));
    const unfinished = atKill.filter((run) => run?.status !== "completed").length;
    console.log(`killed with ${await effects()} of 50 effects recorded, ${unfinished} of 10 runs unfinished`);
    expect(unfinished).toBeGreaterThan(0);

    const killedAt = Date.now();
    const second = await startWorkerProcess(`it-proofs-crash-b-${names.suffix}`);
    await waitFor(
      "all 10 runs completed by the second worker",
      async () => {
        const runs = await Promise.all(runIds.map((runId) => store.readRun(runId)));
        const ended = runs.find((run) => run?.status === "failed" || run?.status === "cancelled");
        if (ended) throw new Error(`run ${ended.runId} ended ${ended.status}`);
        return runs.every((run) => run?.status === "completed") ? true : undefined;
      },
      120_000,
    );
    const reconciled = second.output.filter((line) => line.includes("reconciliation pass")).length;
    console.log(`recovered ${Date.now() - killedAt} ms after the kill (${reconciled} reconciliation passes found stalled runs)`);
    for (const runId of runIds) {
      expect(await store.countEffects(runId), `effects of ${runId}`).toBe(5);
      const run = await store.readRun(runId);
      const completed = run!.nodeResults.filter((r) => r.status === "completed").map((r) => r.nodeId).sort();
      expect(completed, `node results of ${runId}`).toEqual(["create-chat-account", "notify-manager", "onboarding-complete", "provision-identity", "schedule-orientation", "send-welcome-email"]);
    }
    killGroup(second.child, "SIGTERM");
    await exited(second.child);
  });
});
