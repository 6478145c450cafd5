import type { EngineObserver, ReconciliationStats } from "@taskflow/workflow";

const QUANTILES = [0.5, 0.9, 0.99] as const;
/** Node durations kept for the summary's quantiles (a sliding window). */
const WINDOW = 2_048;

/** The worker's Prometheus metrics: jobs, node durations, control messages, reconciliation passes. */
export class WorkerMetrics implements EngineObserver {
  private readonly jobsHandled = new Map<string, number>();
  private readonly controlHandled = new Map<string, number>();
  private readonly reconciliation = { passes: 0, failedPasses: 0, stalledRuns: 0, reconciledRuns: 0, failedRuns: 0, lastPassAt: 0 };
  private jobFailures = 0;
  private readonly durations: number[] = [];
  private durationCount = 0;
  private durationSumSeconds = 0;

  jobHandled(info: { outcome: string }): void {
    this.jobsHandled.set(info.outcome, (this.jobsHandled.get(info.outcome) ?? 0) + 1);
  }

  /** A job whose handling threw (it will be redelivered or dead-lettered). */
  jobFailed(): void {
    this.jobFailures++;
  }

  /** A lifecycle event or workflow command handled (`outcome`) or failed (`failed`: redelivered). */
  controlMessage(kind: "lifecycle" | "command", outcome: string): void {
    const key = `${kind}\u0000${outcome}`;
    this.controlHandled.set(key, (this.controlHandled.get(key) ?? 0) + 1);
  }

  /** One reconciliation pass: its stats, or `undefined` if the pass itself failed. */
  reconciliationPass(stats: ReconciliationStats | undefined, at = Date.now()): void {
    const r = this.reconciliation;
    r.passes++;
    r.lastPassAt = at;
    if (!stats) {
      r.failedPasses++;
      return;
    }
    r.stalledRuns += stats.stalledRuns;
    r.reconciledRuns += stats.reconciledRuns;
    r.failedRuns += stats.failedRuns;
  }

  /** When the last reconciliation pass ended (ms since the epoch; 0: none yet). */
  lastReconciliationAt(): number {
    return this.reconciliation.lastPassAt;
  }

  nodeExecuted(info: { durationMs: number }): void {
    const seconds = info.durationMs / 1000;
    this.durationCount++;
    this.durationSumSeconds += seconds;
    this.durations.push(seconds);
    if (this.durations.length > WINDOW) this.durations.shift();
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const lines = [
      "# HELP taskflow_worker_jobs_handled_total Node jobs handled, by outcome.",
      "# TYPE taskflow_worker_jobs_handled_total counter",
      ...[...this.jobsHandled].map(([outcome, count]) => `taskflow_worker_jobs_handled_total{outcome="${outcome}"} ${count}`),
      "# HELP taskflow_worker_job_failures_total Node jobs whose handling failed (redelivered or dead-lettered).",
      "# TYPE taskflow_worker_job_failures_total counter",
      `taskflow_worker_job_failures_total ${this.jobFailures}`,
      "# HELP taskflow_worker_node_duration_seconds Node implementation wall time per attempt.",
      "# TYPE taskflow_worker_node_duration_seconds summary",
    ];
    const sorted = [...this.durations].sort((a, b) => a - b);
    for (const q of QUANTILES) {
      const value = sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      lines.push(`taskflow_worker_node_duration_seconds{quantile="${q}"} ${value}`);
    }
    lines.push(`taskflow_worker_node_duration_seconds_sum ${this.durationSumSeconds}`, `taskflow_worker_node_duration_seconds_count ${this.durationCount}`);
    const r = this.reconciliation;
    lines.push(
      "# HELP taskflow_worker_control_messages_total Lifecycle events and workflow commands handled, by kind and outcome.",
      "# TYPE taskflow_worker_control_messages_total counter",
      ...[...this.controlHandled].map(([key, count]) => {
        const [kind, outcome] = key.split("\u0000");
        return `taskflow_worker_control_messages_total{kind="${kind}",outcome="${outcome}"} ${count}`;
      }),
      "# HELP taskflow_worker_reconciliation_passes_total Reconciliation passes run (failed: the pass itself threw).",
      "# TYPE taskflow_worker_reconciliation_passes_total counter",
      `taskflow_worker_reconciliation_passes_total{result="ok"} ${r.passes - r.failedPasses}`,
      `taskflow_worker_reconciliation_passes_total{result="failed"} ${r.failedPasses}`,
      "# HELP taskflow_worker_reconciled_runs_total Runs the reconciler found stalled, resumed, or marked failed.",
      "# TYPE taskflow_worker_reconciled_runs_total counter",
      `taskflow_worker_reconciled_runs_total{result="stalled"} ${r.stalledRuns}`,
      `taskflow_worker_reconciled_runs_total{result="reconciled"} ${r.reconciledRuns}`,
      `taskflow_worker_reconciled_runs_total{result="failed"} ${r.failedRuns}`,
      "# HELP taskflow_worker_reconciliation_last_pass_timestamp_seconds When the last reconciliation pass ended.",
      "# TYPE taskflow_worker_reconciliation_last_pass_timestamp_seconds gauge",
      `taskflow_worker_reconciliation_last_pass_timestamp_seconds ${r.lastPassAt / 1000}`,
    );
    return `${lines.join("\n")}\n`;
  }
}
