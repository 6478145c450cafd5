import type { ReconcileOutcome, ReconciliationStats } from "@taskflow/workflow";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkflowEventCollector, expectCompletedOnce, startOnboardingRuns, testEngine, transportClients, waitUntilCompleted, type TransportClients } from "./testing/conformance-support.ts";
import { REDIS_URL, waitFor } from "./testing/proof-support.ts";
import { PROOF_TRANSPORTS, transportHarness } from "./testing/transport-harness.ts";
import { startWorker, type Worker } from "./worker.ts";

/**
 * Issue #6 conformance (once per transport): the reconciler resumes runs whose worker died,
 * exactly once, while a second reconciler runs beside it. The "dead worker" is an engine
 * whose jobs go nowhere: it starts the runs (and, for half of them, also runs their first
 * node) and commits each step, but the jobs it schedules are never published, so the runs
 * stall. Two in-process workers then run a reconciliation pass each, concurrently (the
 * transport's reconciler: the generic one over Cassandra and Redis leases on Kafka,
 * createRabbitMqReconciler with PostgreSQL advisory locks on RabbitMQ).
 *
 * TRICKY: to make the two passes really overlap, neither worker's engine resumes a run
 * before both passes have found the stalled runs and entered their loops (a barrier in
 * front of `reconcileRun`); then each run is resumed by exactly one of them.
 * NOTE: the Kafka transport's run state is the stack's shared Cassandra keyspace, so its
 * passes may also meet other tests' stalled runs; the checks count what they did to them.
 */
const RUNS = 6;
const STALLED_THRESHOLD_SECONDS = 2;

interface Resumption {
  worker: number;
  runId: string;
  /** What `reconcileRun` returned, or `threw` (the pass then counts a failed run). */
  outcome: ReconcileOutcome | { kind: "threw"; error: string };
}

/**
 * Records what every worker's `reconcileRun` did, by run. With `overlap`, holds each call
 * until every worker made one (bounded: a pass that found nothing cannot hang the others).
 */
function watchReconcilers(workers: readonly Worker[], options: { overlap: boolean }): { resumptions: Resumption[]; restore: () => void } {
  const resumptions: Resumption[] = [];
  const entered = new Set<number>();
  let release: () => void = () => undefined;
  const allIn = new Promise<void>((resolve) => (release = resolve));
  const restores = workers.map((worker, index) => {
    const { engine } = worker;
    const original = engine.reconcileRun;
    // The worker's reconciler calls `reconcileRun` on this very object.
    engine.reconcileRun = async (runId, stalledBefore) => {
      if (options.overlap) {
        entered.add(index);
        if (entered.size === workers.length) release();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([allIn, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
        clearTimeout(timer);
      }
      try {
        const outcome = await original.call(engine, runId, stalledBefore);
        resumptions.push({ worker: index, runId, outcome });
        return outcome;
      } catch (error) {
        resumptions.push({ worker: index, runId, outcome: { kind: "threw", error: String(error) } });
        throw error;
      }
    };
    return () => {
      engine.reconcileRun = original;
    };
  });
  return { resumptions, restore: () => restores.forEach((restore) => restore()) };
}

describe.each(PROOF_TRANSPORTS)("issue #6 conformance (%s): the reconciler resumes a run whose worker died", (transport) => {
  const harness = transportHarness(transport, "reconcile");
  const workers: Worker[] = [];
  let redis: Redis;
  let clients: TransportClients;
  let events: WorkflowEventCollector;

  beforeAll(async () => {
    await harness.setUp();
    redis = new Redis(REDIS_URL, { lazyConnect: true });
    await redis.connect();
    clients = await transportClients(harness);
    events = await WorkflowEventCollector.start(harness.names.eventsTopic);
    // Reconcilers that never run by themselves (no interval): the test runs their passes.
    const reconcile = { stalledThresholdSeconds: STALLED_THRESHOLD_SECONDS };
    workers.push(
      ...(await Promise.all(["a", "b"].map((name) => startWorker(harness.workerConfig(`it-reconcile-${name}-${harness.names.suffix}`, { reconcile }))))),
    );
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await events?.stop();
    await clients?.close();
    await redis?.quit();
    await harness.tearDown();
  });

  it("resumes each stalled run exactly once while a second reconciler runs beside it", async () => {
    const { engine: dead, lost } = testEngine(clients, redis, harness, "lose");
    const runIds = await startOnboardingRuns(dead, `it-reconcile-${transport}`, RUNS);
    // Half the runs get one step further: the dead worker ran their first node and died before publishing the next jobs.
    const advanced = new Set(runIds.filter((_, i) => i % 2 === 1));
    const firstJobs = lost.splice(0);
    for (const job of firstJobs) {
      if (advanced.has(job.runId)) await dead.handleJob(job);
      else lost.push(job);
    }
    const lostOf = (runId: string) => lost.filter((job) => job.runId === runId).map((job) => job.nodeId);
    for (const runId of runIds) {
      expect(await clients.store.countEffects(runId)).toBe(advanced.has(runId) ? 1 : 0);
      expect(lostOf(runId).length, `lost jobs of ${runId}`).toBe(advanced.has(runId) ? 3 : 1);
    }
    // Nothing moves them now; wait until they count as stalled.
    await waitFor(
      "runs stalled",
      async () => {
        const runs = await Promise.all(runIds.map((runId) => clients.store.readRun(runId)));
        return runs.every((run) => run?.status === "running" && Date.now() - run.updatedAt.getTime() > STALLED_THRESHOLD_SECONDS * 1000 + 500) ? true : undefined;
      },
      15_000,
    );

    const watch = watchReconcilers(workers, { overlap: true });
    let passes: ReconciliationStats[];
    try {
      passes = await Promise.all(workers.map((worker) => worker.reconcile()));
    } finally {
      watch.restore();
    }
    console.log(`[${transport}] concurrent passes: ${JSON.stringify(passes)}`);
    const mine = watch.resumptions.filter((r) => runIds.includes(r.runId));
    const others = watch.resumptions.filter((r) => !runIds.includes(r.runId));
    if (others.length > 0) console.log(`[${transport}] the passes also met runs of others: ${JSON.stringify(others)}`);
    const resumed = mine.filter((r) => r.outcome.kind === "reconciled");
    // Both passes found every stalled run before either resumed one (on Kafka the run state
    // is the stack's shared keyspace, so they may find other tests' stalled runs as well) ...
    for (const stats of passes) {
      if (transport === "rabbitmq") expect(stats.stalledRuns).toBe(RUNS);
      else expect(stats.stalledRuns).toBeGreaterThanOrEqual(RUNS);
    }
    // ... and between them resumed each once: no run twice, none missed, none failed; the
    // passes' counts are exactly what their calls did.
    expect(resumed.map((r) => r.runId).sort()).toEqual([...runIds].sort());
    expect(mine.filter((r) => r.outcome.kind === "threw")).toEqual([]);
    expect(passes.reduce((sum, stats) => sum + stats.reconciledRuns, 0)).toBe(RUNS + others.filter((r) => r.outcome.kind === "reconciled").length);
    expect(passes.reduce((sum, stats) => sum + stats.failedRuns, 0)).toBe(others.filter((r) => r.outcome.kind === "threw").length);
    expect(new Set(resumed.map((r) => r.worker)).size, "both reconcilers resumed runs").toBe(2);
    // The other pass saw each run it did not resume skipped (already resumed by the first).
    for (const r of mine.filter((m) => m.outcome.kind === "skipped")) expect(resumed.find((s) => s.runId === r.runId)?.worker).not.toBe(r.worker);
    // Exactly the lost jobs' nodes were re-enqueued.
    for (const r of resumed) expect(r.outcome.kind === "reconciled" && [...r.outcome.ready].sort(), `re-enqueued of ${r.runId}`).toEqual(lostOf(r.runId).map((node) => `${node}#1`).sort());

    await waitUntilCompleted(clients.store, runIds, 60_000);
    for (const runId of runIds) {
      const { rescheduled } = await expectCompletedOnce(clients.store, events, runId, transport);
      expect(rescheduled, `nodes of ${runId} scheduled again`).toBe(lostOf(runId).length);
    }

    // Completed runs are not stalled: another pair of passes resumes none of them.
    const after = watchReconcilers(workers, { overlap: false });
    try {
      const again = await Promise.all(workers.map((worker) => worker.reconcile()));
      console.log(`[${transport}] passes after completion: ${JSON.stringify(again)}`);
      expect(after.resumptions.filter((r) => runIds.includes(r.runId))).toEqual([]);
      if (transport === "rabbitmq") expect(again).toEqual([0, 0].map(() => ({ stalledRuns: 0, reconciledRuns: 0, failedRuns: 0 })));
    } finally {
      after.restore();
    }
  });
});
