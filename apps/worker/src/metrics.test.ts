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
});
