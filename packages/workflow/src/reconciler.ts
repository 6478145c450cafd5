import type { EngineLogger, ReconcileOutcome } from "./engine.ts";
import type { CoordinationStore, RunStateStore } from "./transport.ts";

/** What one reconciliation pass found and did (the seed's `ReconciliationStats`). */
export interface ReconciliationStats {
  /** Runs found `running` and not updated for the threshold. */
  stalledRuns: number;
  /** Stalled runs whose ready nodes were re-enqueued (or whose end was recorded) by this pass. */
  reconciledRuns: number;
  /** Stalled runs marked failed (unknown blueprint, corrupt state) or whose reconciliation threw. */
  failedRuns: number;
}

/** The engine operations the reconciler drives (WorkflowEngine implements them). */
export interface ReconcilableEngine {
  reconcileRun(runId: string, stalledBefore: Date): Promise<ReconcileOutcome>;
  failRun(runId: string, reason: string): Promise<boolean>;
}

export interface ReconcilerOptions {
  engine: ReconcilableEngine;
  /** Finds the stalled runs (served by the status table keyed for it). */
  store: Pick<RunStateStore, "findStalledRuns">;
  /** Per-run reconcile leases, so two reconcilers never work on the same run at once. */
  coordination: Pick<CoordinationStore, "acquireLease" | "releaseLease">;
  /** A run `running` and not updated for this long is stalled. */
  stalledThresholdSeconds: number;
  /** Most runs handled per pass (default 100). */
  batchSize?: number;
  /** Reconcile lease time-to-live (default 60 s). */
  leaseTtlMs?: number;
  logger?: EngineLogger;
}

export interface Reconciler {
  /** One pass: finds stalled runs and resumes or fails each. Never rejects for one run's error. */
  run(): Promise<ReconciliationStats>;
}

/** A run the engine cannot schedule: its blueprint is unknown or its state is corrupt. */
function isUnrecoverable(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /is not known to this engine|has no node|JSON|Unexpected token/.test(message) || error instanceof SyntaxError;
}

/**
 * Finds runs that are `running` but were not updated for `stalledThresholdSeconds`
 * (a worker died with their jobs, or a job was lost) and re-enqueues exactly the nodes
 * that are ready. Pure orchestration over the seam: the store finds the runs, a lease
 * per run keeps concurrent reconcilers apart, and the engine re-checks the stall under
 * the run's own lease and schedules with `decideNext` (so a completed branch is not
 * re-run and a branch not taken is not enqueued).
 */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const logger = options.logger;
  const leaseTtlMs = options.leaseTtlMs ?? 60_000;
  return {
    async run() {
      const stats: ReconciliationStats = { stalledRuns: 0, reconciledRuns: 0, failedRuns: 0 };
      const stalledBefore = new Date(Date.now() - options.stalledThresholdSeconds * 1000);
      const stalled = await options.store.findStalledRuns(options.stalledThresholdSeconds, options.batchSize ?? 100);
      stats.stalledRuns = stalled.length;
      for (const { runId } of stalled) {
        const lease = await options.coordination.acquireLease(`reconcile:${runId}`, leaseTtlMs);
        if (!lease) {
          logger?.debug("stalled run is being reconciled elsewhere", { runId });
          continue;
        }
        try {
          const outcome = await options.engine.reconcileRun(runId, stalledBefore);
          if (outcome.kind === "reconciled") stats.reconciledRuns++;
          else logger?.debug("stalled run skipped", { runId, reason: outcome.reason });
        } catch (error) {
          if (isUnrecoverable(error)) {
            const reason = `reconciler: ${error instanceof Error ? error.message : String(error)}`;
            await options.engine.failRun(runId, reason).catch((failError: unknown) => logger?.error("marking a run failed failed", { runId, error: failError }));
            stats.failedRuns++;
            logger?.warn("stalled run cannot be resumed; marked failed", { runId, reason });
          } else {
            // Transient (lease held by an active step, a store timeout): the next pass retries.
            stats.failedRuns++;
            logger?.warn("reconciling a stalled run failed; retried next pass", { runId, error });
          }
        } finally {
          await options.coordination.releaseLease(lease).catch(() => undefined);
        }
      }
      return stats;
    },
  };
}
