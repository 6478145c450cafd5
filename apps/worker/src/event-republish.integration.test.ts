import { randomUUID } from "node:crypto";
import type { RunEvent } from "@taskflow/workflow";
import { WorkflowEventPublisher } from "@taskflow/workflow-adapters";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ONBOARDING_EFFECTS, ONBOARDING_EVENT_COUNT, waitUntilCompleted } from "./testing/onboarding-assertions.ts";
import { EventLog } from "./testing/proof-support.ts";
import { transportHarness } from "./testing/transport-harness.ts";
import { startWorker, type Worker } from "./worker.ts";

/**
 * The Kafka transport commits a step to Cassandra, then publishes its events: two writes.
 * When the publish fails after the commit (Kafka refused, or the worker died between the
 * two), the commit's events stay unconfirmed in Cassandra; the job is redelivered, and
 * that next step of the run publishes them (and the jobs they scheduled) again: the event
 * store gets every event, and the run finishes without the reconciler. (RabbitMQ/PostgreSQL
 * has its outbox.)
 */
describe("Kafka transport: a step whose events were not published after its commit", () => {
  const harness = transportHarness("kafka", "event-republish");
  const events = new EventLog();
  let worker: Worker;
  const publish = WorkflowEventPublisher.prototype.publish;
  let failing: string | undefined;

  beforeAll(async () => {
    await harness.setUp();
    worker = await startWorker(harness.workerConfig(`it-republish-${harness.names.suffix}`, { onEvents: events.collect }));
    // The first publish of the run's provision-identity step fails, after its commit.
    WorkflowEventPublisher.prototype.publish = async function (this: WorkflowEventPublisher, published: readonly RunEvent[], context) {
      if (failing && published.some((e) => e.runId === failing && e.type === "NODE_COMPLETED" && e.nodeId === "provision-identity")) {
        failing = undefined;
        throw new Error("injected: Kafka refused the events");
      }
      return publish.call(this, published, context);
    };
  });

  afterAll(async () => {
    WorkflowEventPublisher.prototype.publish = publish;
    await worker?.stop();
    await harness.tearDown();
  });

  it("publishes them on the job's redelivery: every event once in sequence, every effect once", async () => {
    const runId = `it-republish-${randomUUID()}`;
    failing = runId;
    await worker.startRun({ blueprintId: "employee-onboarding", input: { employeeId: runId }, correlationId: `corr-${runId}`, runId });
    // Well under the reconciler's threshold: the redelivery alone repairs the run.
    await waitUntilCompleted(worker, [runId], 20_000);
    expect(failing).toBeUndefined();
    expect(await worker.store.countEffects(runId)).toBe(ONBOARDING_EFFECTS);
    const sequences = events.of(runId).map((e) => e.sequence);
    expect(sequences).toEqual(Array.from({ length: ONBOARDING_EVENT_COUNT }, (_, i) => i + 1));
    // Every commit's events are confirmed published now.
    expect((await worker.store.readRun(runId))!.unconfirmed).toEqual([]);
  });
});
