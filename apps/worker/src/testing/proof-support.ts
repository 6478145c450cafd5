/**
 * Shared helpers of the proofs integration tests (apps/worker/src/conformance-*.integration.test.ts,
 * proofs-*.integration.test.ts): polling, own topics, worker configs, slow node effects and
 * per-run event logs. Free of vitest: worker processes (worker-process.ts) import it too.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { silentLogger } from "@taskflow/kafka";
import type { RunEvent } from "@taskflow/workflow";
import { CassandraRunStateStore, PostgresRunStateStore } from "@taskflow/workflow-adapters";
import type { Kafka } from "kafkajs";
import { services } from "../../../../tests/support/services.ts";
import type { WorkerConfig } from "../worker.ts";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Polls `probe` every 100 ms until it returns a value (not undefined); fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Unique jobs, jobs-DLQ and events topic names plus group and Redis prefix for one test file. */
export function proofNames(label: string) {
  const suffix = randomUUID().slice(0, 8);
  return {
    suffix,
    jobsTopic: `it-${label}-jobs-${suffix}`,
    deadLetterTopic: `it-${label}-jobs-dlq-${suffix}`,
    eventsTopic: `it-${label}-events-${suffix}`,
    groupId: `it-${label}-${suffix}`,
    redisKeyPrefix: `it:${label}:${suffix}:`,
  };
}
export type ProofNames = ReturnType<typeof proofNames>;

export async function createTopics(kafka: Kafka, names: ProofNames, jobsPartitions = 6): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        { topic: names.jobsTopic, numPartitions: jobsPartitions, replicationFactor: 1 },
        { topic: names.deadLetterTopic, numPartitions: 1, replicationFactor: 1 },
        { topic: names.eventsTopic, numPartitions: 3, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, names: ProofNames): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [names.jobsTopic, names.deadLetterTopic, names.eventsTopic] }).catch(() => undefined);
  await admin.disconnect();
}

/** An in-process worker's config on the test's own topics, group and Redis prefix. */
export function workerConfig(names: ProofNames, workerId: string, extra: Partial<WorkerConfig> = {}): WorkerConfig {
  return {
    workerId,
    brokers: [...services.kafkaBrokers],
    registryUrl: services.registryUrl,
    cassandra: { ...services.cassandra, contactPoints: [...services.cassandra.contactPoints] },
    redisUrl: REDIS_URL,
    redisKeyPrefix: names.redisKeyPrefix,
    groupId: names.groupId,
    concurrency: 3,
    jobsTopic: names.jobsTopic,
    deadLetterTopic: names.deadLetterTopic,
    eventsTopic: names.eventsTopic,
    logger: silentLogger,
    ...extra,
  };
}

/**
 * Makes the example nodes slow without touching them: every effect write of a run for
 * which `delayOf(runId)` is positive waits that long first (the node is in flight
 * meanwhile). Patches both transports' run stores in THIS process only; returns the undo.
 */
export function slowEffects(delayOf: (runId: string) => number): () => void {
  const undo = [CassandraRunStateStore.prototype, PostgresRunStateStore.prototype].map((prototype) => {
    const original = prototype.recordEffect as (this: unknown, runId: string, ...rest: unknown[]) => Promise<unknown>;
    (prototype as { recordEffect: typeof original }).recordEffect = async function (this: unknown, runId: string, ...rest: unknown[]) {
      const delayMs = delayOf(runId);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return original.call(this, runId, ...rest);
    };
    return () => {
      (prototype as { recordEffect: typeof original }).recordEffect = original;
    };
  });
  return () => undo.forEach((restore) => restore());
}

/** Collects published run events per run (a worker's `onEvents`). */
export class EventLog {
  private readonly byRun = new Map<string, RunEvent[]>();
  readonly collect = (events: readonly RunEvent[]): void => {
    for (const event of events) this.byRun.set(event.runId, [...(this.byRun.get(event.runId) ?? []), event]);
  };
  /** The run's events so far, by sequence. */
  of(runId: string): RunEvent[] {
    return [...(this.byRun.get(runId) ?? [])].sort((a, b) => a.sequence - b.sequence);
  }
  /** `TYPE` or `TYPE:nodeId` of the run's events so far, by sequence. */
  types(runId: string): string[] {
    return this.of(runId).map((e) => (e.nodeId ? `${e.type}:${e.nodeId}` : e.type));
  }
}

/** A count from a worker's metrics text, e.g. jobs handled with `outcome="skipped-inactive"`. */
export function outcomeCount(metricsText: string, outcome: string): number {
  return Number(metricsText.match(new RegExp(`outcome="${outcome}"} (\\d+)`))?.[1] ?? 0);
}

/** A free TCP port on 127.0.0.1 (for a child worker's `/health`). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
