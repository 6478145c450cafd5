import type { EngineObserver } from "@taskflow/workflow";

const QUANTILES = [0.5, 0.9, 0.99] as const;
/** Node durations kept for the summary's quantiles (a sliding window). */
const WINDOW = 2_048;

/** The worker's Prometheus metrics: jobs handled, failures, node duration summary. */
export class WorkerMetrics implements EngineObserver {
  private readonly jobsHandled = new Map<string, number>();
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
    return `${lines.join("\n")}\n`;
  }
}
