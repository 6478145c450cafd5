import { afterEach, describe, expect, it } from "vitest";
import { startHttpServer, type ProjectorHttpServer, type ReportingProjection } from "./http.ts";
import type { HealthReport } from "./projector.ts";
import { ProjectorMetrics } from "./metrics.ts";
import { RunProjectorMetrics } from "./workflow-runs/run-metrics.ts";

function projection(metrics: ReportingProjection["metrics"], ok: boolean): ReportingProjection & { report: HealthReport } {
  const report: HealthReport = { ok, consumer: ok ? "running" : "crashed", cassandraConnected: true, assignedPartitions: [0, 1, 2], secondsSinceFetch: 0.5 };
  return { report, metrics, health: () => report };
}

let server: ProjectorHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function get(path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${server!.port}${path}`);
  return { status: response.status, text: await response.text() };
}

describe("the projector's /health and /metrics", () => {
  it("report both projections, healthy only when both are", async () => {
    const analytics = projection(new ProjectorMetrics(), true);
    const runs = projection(new RunProjectorMetrics(), true);
    server = await startHttpServer(analytics, "127.0.0.1", 0, runs);

    const healthy = await get("/health");
    expect(healthy.status).toBe(200);
    expect(JSON.parse(healthy.text)).toEqual({ status: "ok", ...analytics.report, workflowRuns: runs.report });

    runs.report.ok = false;
    const unhealthy = await get("/health");
    expect(unhealthy.status).toBe(503);
    expect(JSON.parse(unhealthy.text)).toMatchObject({ status: "unhealthy", ok: false, consumer: "running", workflowRuns: { ok: false } });

    const metrics = await get("/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain("taskflow_projector_up 1\n");
    expect(metrics.text).toContain("taskflow_run_projector_up 0\n");
    expect(metrics.text).toContain('taskflow_run_projector_events_total{outcome="from_store"} 0\n');
  });

  it("serves the analytics projection alone", async () => {
    server = await startHttpServer(projection(new ProjectorMetrics(), true), "127.0.0.1", 0);
    expect(JSON.parse((await get("/health")).text)).not.toHaveProperty("workflowRuns");
    expect((await get("/metrics")).text).not.toContain("taskflow_run_projector");
    expect((await get("/nope")).status).toBe(404);
  });
});
