/**
 * What a correct onboarding run looks like, whichever transport carried it, as seen by
 * in-process workers (their store, and the events they published via `onEvents`): for the
 * conformance proofs where every node is scheduled exactly once (scale, duplicates,
 * poison). conformance-support.ts checks runs that may re-enqueue nodes (crash,
 * reconciler) from the events topic instead. Vitest only (proof-support.ts stays free of
 * it: worker processes import that one).
 */
import type { RunEvent } from "@taskflow/workflow";
import { expect } from "vitest";
import { loadExampleBlueprint } from "../nodes/index.ts";
import type { Worker } from "../worker.ts";
import { outcomeCount, waitFor, type EventLog } from "./proof-support.ts";

const onboarding = loadExampleBlueprint("employee-onboarding");

/** The onboarding blueprint's node ids, sorted. */
export const ONBOARDING_NODES: readonly string[] = onboarding.nodes.map((node) => node.id).sort();

/** RUN_CREATED, NODE_SCHEDULED/STARTED/COMPLETED for each of the 6 nodes, RUN_COMPLETED. */
export const ONBOARDING_EVENT_COUNT = 2 + 3 * ONBOARDING_NODES.length;

/** Nodes with an effect (all but the `join`), sorted. */
export const ONBOARDING_EFFECT_NODES: readonly string[] = onboarding.nodes.filter((node) => node.uses !== "join").map((node) => node.id).sort();

/** Effects of a completed onboarding run. */
export const ONBOARDING_EFFECTS = ONBOARDING_EFFECT_NODES.length;

/** The `all` join of the onboarding fan-out, and its predecessors. */
const JOIN_NODE = onboarding.nodes.find((node) => node.config?.joinStrategy === "all")!.id;
const JOIN_PREDECESSORS = onboarding.edges.filter((edge) => edge.target === JOIN_NODE).map((edge) => edge.source);

/** Waits until every run is `completed`; fails at once if one ended `failed` or `cancelled`. */
export async function waitUntilCompleted(worker: Worker, runIds: readonly string[], timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `${runIds.length} runs to complete`,
    async () => {
      const runs = await Promise.all(runIds.map((runId) => worker.store.readRun(runId)));
      const ended = runs.find((run) => run?.status === "failed" || run?.status === "cancelled");
      if (ended) throw new Error(`run ${ended.runId} ended ${ended.status}`);
      return runs.every((run) => run?.status === "completed") ? true : undefined;
    },
    timeoutMs,
  );
}

/** Waits until the run's RUN_COMPLETED was published (on RabbitMQ: relayed from the outbox). */
export function waitForPublishedEnd(events: EventLog, runId: string, timeoutMs = 20_000): Promise<true> {
  return waitFor(`RUN_COMPLETED of ${runId} published`, () => (events.types(runId).includes("RUN_COMPLETED") ? true : undefined), timeoutMs);
}

/**
 * A completed onboarding run: each effect recorded once; its published events gap-free
 * 1..20 (each published once), each node scheduled, started and completed once, the join
 * scheduled only after all its predecessors completed, one correlation id throughout.
 */
export async function expectCompletedOnce(worker: Worker, events: EventLog, runId: string, correlationId: string): Promise<void> {
  expect(await worker.store.countEffects(runId), `effects of ${runId}`).toBe(ONBOARDING_EFFECTS);
  await waitForPublishedEnd(events, runId);
  const ordered = events.of(runId);
  expect(ordered.map((e) => e.sequence), `sequences of ${runId}`).toEqual(Array.from({ length: ONBOARDING_EVENT_COUNT }, (_, i) => i + 1));
  expect(ordered[0]?.type).toBe("RUN_CREATED");
  expect(ordered.at(-1)?.type).toBe("RUN_COMPLETED");
  const perNode = (type: string) => ordered.filter((e) => e.type === type).map((e) => e.nodeId).sort();
  expect(perNode("NODE_SCHEDULED"), `scheduled nodes of ${runId}`).toEqual(ONBOARDING_NODES);
  expect(perNode("NODE_STARTED"), `started nodes of ${runId}`).toEqual(ONBOARDING_NODES);
  expect(perNode("NODE_COMPLETED"), `completed nodes of ${runId}`).toEqual(ONBOARDING_NODES);
  expectJoinAfterPredecessors(ordered);
  expect(new Set(ordered.map((e) => e.correlationId))).toEqual(new Set([correlationId]));
}

/** The `all` join was scheduled after every one of its predecessors completed (it did not fire early). */
function expectJoinAfterPredecessors(ordered: readonly RunEvent[]): void {
  const sequenceOf = (type: string, nodeId: string) => ordered.find((e) => e.type === type && e.nodeId === nodeId)?.sequence ?? Number.NaN;
  const joinScheduledAt = sequenceOf("NODE_SCHEDULED", JOIN_NODE);
  for (const predecessor of JOIN_PREDECESSORS) {
    expect(sequenceOf("NODE_COMPLETED", predecessor), `${predecessor} completed before ${JOIN_NODE} was scheduled`).toBeLessThan(joinScheduledAt);
  }
}

/** Jobs the workers handled with `outcome` (e.g. `completed`, `duplicate`, `skipped-inactive`), summed. */
export function jobsHandled(workers: readonly Worker[], outcome: string): number {
  return workers.reduce((sum, worker) => sum + outcomeCount(worker.metrics.render(), outcome), 0);
}
