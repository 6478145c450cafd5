import type { CompiledWorkflow, NodeOutcome, RunFacts, SchedulerDecision } from "./scheduler.ts";
import { decideNext } from "./scheduler.ts";

/** The outcome a simulated node attempt produces (without ids; the simulator adds them). */
export type SimulatedOutcome = { status: "completed"; output?: unknown; action?: string } | { status: "failed"; error: { message: string; retryable?: boolean } };

export interface SimulationResult {
  status: SchedulerDecision["status"];
  /** Attempts in the order they ran, e.g. `["a#1", "b#1", "b#2"]`. */
  executed: string[];
  /** Nodes in the order they were skipped. */
  skipped: string[];
  final: SchedulerDecision;
  facts: RunFacts;
}

/**
 * Drives the scheduler in memory with deterministic node behaviour: run every
 * ready attempt (in blueprint order, ignoring retry delays), record outcomes,
 * decide again, until the run ends. For tests and blueprint dry runs.
 */
export function simulateRun(
  workflow: CompiledWorkflow,
  behaviour: (nodeId: string, attempt: number, input: unknown) => SimulatedOutcome,
  options: { input?: unknown; context?: Record<string, unknown>; maxSteps?: number } = {},
): SimulationResult {
  const outcomes: NodeOutcome[] = [];
  const scheduled: { nodeId: string; attempt: number }[] = [];
  const executed: string[] = [];
  const skipped: string[] = [];
  const facts = (): RunFacts => ({ input: options.input, context: options.context, outcomes, scheduled });
  for (let step = 0; step < (options.maxSteps ?? 1_000); step++) {
    const decision = decideNext(workflow, facts());
    for (const nodeId of decision.skipped) {
      skipped.push(nodeId);
      outcomes.push({ nodeId, status: "skipped" });
    }
    if (decision.status !== "running") return { status: decision.status, executed, skipped, final: decision, facts: facts() };
    if (decision.ready.length === 0 && decision.skipped.length === 0) throw new Error("Simulation stalled: run is running but nothing is ready");
    for (const job of decision.ready) {
      scheduled.push({ nodeId: job.nodeId, attempt: job.attempt });
      executed.push(`${job.nodeId}#${job.attempt}`);
      outcomes.push({ nodeId: job.nodeId, attempt: job.attempt, ...behaviour(job.nodeId, job.attempt, job.input) });
    }
  }
  throw new Error("Simulation exceeded maxSteps");
}
