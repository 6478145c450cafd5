import { describe, expect, it } from "vitest";
import { WorkerMetrics } from "./metrics.ts";

describe("WorkerMetrics", () => {
  it("renders jobs, failures and the node duration summary in Prometheus text", () => {
    const metrics = new WorkerMetrics();
    metrics.jobHandled({ outcome: "completed" });
    metrics.jobHandled({ outcome: "completed" });
    metrics.jobFailed();
    metrics.nodeExecuted({ durationMs: 10 });
    metrics.nodeExecuted({ durationMs: 30 });
    const text = metrics.render();
    expect(text).toContain('taskflow_worker_jobs_handled_total{outcome="completed"} 2');
    expect(text).toContain("taskflow_worker_job_failures_total 1");
    expect(text).toContain("taskflow_worker_node_duration_seconds_count 2");
    expect(text).toContain("taskflow_worker_node_duration_seconds_sum 0.04");
    expect(text).toContain('taskflow_worker_node_duration_seconds{quantile="0.5"} 0.03');
  });

  it("renders control messages and reconciliation passes", () => {
    const metrics = new WorkerMetrics();
    metrics.controlMessage("command", "applied");
    metrics.controlMessage("command", "applied");
    metrics.controlMessage("lifecycle", "failed");
    metrics.reconciliationPass({ stalledRuns: 3, reconciledRuns: 2, failedRuns: 1 }, 10_000);
    metrics.reconciliationPass(undefined, 20_000);
    const text = metrics.render();
    expect(text).toContain('taskflow_worker_control_messages_total{kind="command",outcome="applied"} 2');
    expect(text).toContain('taskflow_worker_control_messages_total{kind="lifecycle",outcome="failed"} 1');
    expect(text).toContain('taskflow_worker_reconciliation_passes_total{result="ok"} 1');
    expect(text).toContain('taskflow_worker_reconciliation_passes_total{result="failed"} 1');
    expect(text).toContain('taskflow_worker_reconciled_runs_total{result="reconciled"} 2');
    expect(text).toContain("taskflow_worker_reconciliation_last_pass_timestamp_seconds 20");
    expect(metrics.lastReconciliationAt()).toBe(20_000);
  });
});
