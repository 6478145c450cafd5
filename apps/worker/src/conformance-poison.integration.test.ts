import { randomUUID } from "node:crypto";
import { WorkflowEngine } from "@taskflow/workflow";
import { RedisCoordinationStore } from "@taskflow/workflow-adapters";
import { Redis } from "ioredis";
import { Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_BLUEPRINT_IDS, loadExampleBlueprint, workerRegistry } from "./nodes/index.ts";
import { expectCompletedOnce, waitUntilCompleted } from "./testing/onboarding-assertions.ts";
import { EventLog, REDIS_URL } from "./testing/proof-support.ts";
import { PROOF_TRANSPORTS, transportHarness, type ProofTransport } from "./testing/transport-harness.ts";
import { startWorker, type Worker } from "./worker.ts";

/**
 * Conformance (issues #4 and #6), once per transport on the real stack: a malformed
 * message (not decodable) and a poison job (its handler fails on every delivery) are
 * dead-lettered with a clear reason and their error, and block nothing: a run started
 * after them completes, each effect once.
 *
 * Where the transports genuinely differ: on Kafka, jobs of one partition are handled in
 * order, so the run is put on the poison job's partition and waits behind its
 * redeliveries, then completes; on RabbitMQ a failed job goes back to the queue's tail
 * with a backoff, so the later run completes before the poison job is given up.
 */
const JOBS_PARTITIONS = 6;
const POISON_PARTITION = 2;
const MALFORMED_BODY = "not a job message";
/** Handler runs before a poison job is given up (both queues' default). */
const MAX_DELIVERIES = 5;
/** Pause before each redelivery of a failed job (both queues' default). */
const REDELIVERY_BACKOFF_MS = 500;

/** What each transport's decoder says about a body that is not its wire format. */
const MALFORMED_ERROR: Record<ProofTransport, RegExp> = {
  kafka: /not in the Confluent wire format/,
  rabbitmq: /message body is not JSON/,
};

describe.each(PROOF_TRANSPORTS)("conformance on %s: malformed and poison jobs", (transport) => {
  const harness = transportHarness(transport, "conformance-poison", { jobsPartitions: JOBS_PARTITIONS });
  const events = new EventLog();
  let worker: Worker;
  let redis: Redis;

  /** The partition the workers' producer (kafkajs' Java-compatible default partitioner) puts `key` on. */
  const partitionOf = (() => {
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: JOBS_PARTITIONS }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 0, replicas: [0], isr: [0] }));
    return (key: string) => partitioner({ topic: harness.names.jobsTopic, partitionMetadata, message: { key, value: null } });
  })();

  /** A fresh run id; on Kafka one whose jobs land on the poison partition. */
  function runIdBehindPoison(prefix: string): string {
    for (;;) {
      const runId = `${prefix}-${randomUUID()}`;
      if (transport !== "kafka" || partitionOf(runId) === POISON_PARTITION) return runId;
    }
  }

  beforeAll(async () => {
    await harness.setUp();
    worker = await startWorker(harness.workerConfig(`it-poison-${harness.names.suffix}`, { onEvents: events.collect }));
    redis = new Redis(REDIS_URL, { lazyConnect: true });
    await redis.connect();
  });

  afterAll(async () => {
    await worker?.stop();
    await redis?.quit();
    await harness.tearDown();
  });

  it("dead-letters a malformed message and a poison job with their errors; the run started after them completes", async () => {
    // The poison job's run exists and is running (created by an engine whose jobs go
    // nowhere), so its job for a node the blueprint lacks fails on every delivery.
    const stillEngine = new WorkflowEngine({
      registry: workerRegistry(worker.store),
      store: worker.store,
      coordination: new RedisCoordinationStore(redis, { keyPrefix: harness.names.redisKeyPrefix }),
      jobs: { publish: async () => undefined },
      events: { publish: async () => undefined },
      blueprints: EXAMPLE_BLUEPRINT_IDS.map(loadExampleBlueprint),
    });
    const hostRunId = runIdBehindPoison("it-poison-host");
    await stillEngine.startRun({ blueprint: loadExampleBlueprint("employee-onboarding"), input: {}, correlationId: `corr-${hostRunId}`, runId: hostRunId });
    try {
      // In this order: 1. a message that does not decode, 2. a job that fails on every
      // delivery, 3. a normal run (on Kafka: all on the same partition).
      await harness.publishRaw(Buffer.from(MALFORMED_BODY), hostRunId);
      await worker.publishJobs([{ runId: hostRunId, nodeId: "no-such-node", attempt: 1, fencingToken: 0, correlationId: `corr-${hostRunId}`, input: {} }]);
      const runId = runIdBehindPoison("it-poison-after");
      const startedAt = Date.now();
      await worker.startRun({ blueprintId: "employee-onboarding", input: { employeeId: "after-poison" }, correlationId: `corr-${runId}`, runId });

      await waitUntilCompleted(worker, [runId], 30_000);
      console.log(`[${transport}] run started after the poison jobs completed in ${Date.now() - startedAt} ms`);
      await expectCompletedOnce(worker, events, runId, `corr-${runId}`);

      const deadLetters = await harness.deadLetters(2);
      expect(deadLetters.map((d) => d.reason).sort()).toEqual(["handler-failed", "undecodable"]);
      const byReason = (reason: string) => deadLetters.find((d) => d.reason === reason)!;
      const malformed = byReason("undecodable");
      expect(malformed.errorMessage).toMatch(MALFORMED_ERROR[transport]);
      expect(malformed.deliveries).toBe("0");
      expect(malformed.body).toBe(MALFORMED_BODY);
      const poison = byReason("handler-failed");
      expect(poison.errorMessage).toContain('has no node "no-such-node"');
      expect(poison.deliveries).toBe(String(MAX_DELIVERIES));
      expect(deadLetters.map((d) => d.source)).toEqual([harness.jobsSource, harness.jobsSource]);
      expect(await worker.store.countEffects(hostRunId)).toBe(0);

      const occurredAt = (type: string) => events.of(runId).find((e) => e.type === type)!.occurredAt.getTime();
      if (transport === "kafka") {
        // Same partition, in order: the run's first job waited behind the poison job's
        // redeliveries (4 pauses; one is margin for the poison job's first run before `startedAt`), then ran.
        expect(deadLetters.map((d) => d.partition)).toEqual([POISON_PARTITION, POISON_PARTITION]);
        expect(occurredAt("NODE_STARTED") - startedAt).toBeGreaterThanOrEqual((MAX_DELIVERIES - 2) * REDELIVERY_BACKOFF_MS);
      } else {
        // The poison job's redeliveries (4 backoffs, >= 2 s) went to the queue's tail: the run did not wait for them.
        expect(occurredAt("RUN_COMPLETED"), `run completed before the poison job was dead-lettered at ${poison.at.toISOString()}`).toBeLessThan(poison.at.getTime());
      }
      expect(deadLetters).toHaveLength(2);
    } finally {
      await worker.engine.cancel(hostRunId, "poison test cleanup").catch(() => undefined);
    }
  });
});

