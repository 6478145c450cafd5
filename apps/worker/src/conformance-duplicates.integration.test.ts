import { randomUUID } from "node:crypto";
import type { NodeJob } from "@taskflow/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ONBOARDING_NODES, expectCompletedOnce, jobsHandled, waitUntilCompleted } from "./testing/onboarding-assertions.ts";
import { EventLog, waitFor } from "./testing/proof-support.ts";
import { PROOF_TRANSPORTS, transportHarness } from "./testing/transport-harness.ts";
import { startWorker, type Worker } from "./worker.ts";

/**
 * Conformance (issues #4 and #6), once per transport on the real stack: every job of a
 * run delivered twice fires no join early and repeats no effect. Two in-process workers
 * in one group; when a worker is handed a job of these runs for the first time, it first
 * publishes an exact copy of it to the jobs topic/queue (`worker.publishJobs`), so the
 * copy may be handled by either worker, before, during or after the original (on Kafka
 * after it: same key, same partition; on RabbitMQ often at the same time on the other
 * worker).
 */
const RUNS = 3;

describe.each(PROOF_TRANSPORTS)("conformance on %s: duplicate job delivery", (transport) => {
  const harness = transportHarness(transport, "conformance-duplicates");
  const events = new EventLog();
  const workers: Worker[] = [];
  const duplicatedRuns = new Set<string>();
  /** Jobs seen once (`runId/nodeId#attempt@fencingToken`); their copies are not copied again. */
  const seen = new Set<string>();
  let copies = 0;

  /** Makes `worker` publish a copy of every job of a duplicated run the first time any worker is handed it. */
  function duplicateJobsOf(worker: Worker): void {
    // The worker's job handler calls `engine.handleJob` on this very object.
    const handleJob = worker.engine.handleJob.bind(worker.engine);
    worker.engine.handleJob = async (job: NodeJob) => {
      const key = `${job.runId}/${job.nodeId}#${job.attempt}@${job.fencingToken}`;
      if (duplicatedRuns.has(job.runId) && !seen.has(key)) {
        seen.add(key);
        await worker.publishJobs([job]);
        copies++;
      }
      return handleJob(job);
    };
  }

  beforeAll(async () => {
    await harness.setUp();
    const { suffix } = harness.names;
    workers.push(
      ...(await Promise.all([
        startWorker(harness.workerConfig(`it-dup-a-${suffix}`, { onEvents: events.collect })),
        startWorker(harness.workerConfig(`it-dup-b-${suffix}`, { onEvents: events.collect })),
      ])),
    );
    workers.forEach(duplicateJobsOf);
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await harness.tearDown();
  });

  it("records every effect once and fires no join early when every job is delivered twice", async () => {
    const [first, second] = workers as [Worker, Worker];
    const runIds = Array.from({ length: RUNS }, () => `it-dup-${randomUUID()}`);
    for (const runId of runIds) duplicatedRuns.add(runId);
    const ignored = () => jobsHandled(workers, "duplicate") + jobsHandled(workers, "skipped-inactive");
    const [ignoredBefore, duplicatesBefore, completedBefore] = [ignored(), jobsHandled(workers, "duplicate"), jobsHandled(workers, "completed")];
    const startedAt = Date.now();
    await Promise.all(
      runIds.map((runId, i) =>
        (i % 2 === 0 ? first : second).startRun({ blueprintId: "employee-onboarding", input: { employeeId: runId }, correlationId: `corr-${runId}`, runId }),
      ),
    );
    await waitUntilCompleted(first, runIds);
    console.log(`[${transport}] ${RUNS} onboarding runs with every job delivered twice completed in ${Date.now() - startedAt} ms`);

    // Every job was copied once, and every copy was handled too: as a duplicate, or dropped because the run had ended.
    const expectedCopies = RUNS * ONBOARDING_NODES.length;
    await waitFor(`${expectedCopies} duplicate deliveries handled`, () => (ignored() - ignoredBefore >= expectedCopies ? true : undefined));
    expect(copies).toBe(expectedCopies);
    expect(ignored() - ignoredBefore).toBe(expectedCopies);
    // Copies met their runs still running (not only dropped after the end): the engine, not the run's end, ignored them.
    const duplicates = jobsHandled(workers, "duplicate") - duplicatesBefore;
    console.log(`[${transport}] ${duplicates} of ${expectedCopies} second deliveries ignored as duplicates, the rest dropped after the run ended`);
    expect(duplicates).toBeGreaterThan(0);
    expect(jobsHandled(workers, "completed") - completedBefore, "node executions").toBe(expectedCopies);
    for (const runId of runIds) await expectCompletedOnce(first, events, runId, `corr-${runId}`);
  });
});
