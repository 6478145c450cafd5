import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { HealthReport } from "./projector.ts";

/** The projector's HTTP endpoints: `/health` (503 when unhealthy) and `/metrics`. */
export interface ProjectorHttpServer {
  /** The bound port (useful when started on port 0). */
  port: number;
  close(): Promise<void>;
}

/** A projection the endpoints report on (the analytics projector, the run projector). */
export interface ReportingProjection {
  health(): HealthReport;
  metrics: { render(extra: { up: boolean; assignedPartitions: number }): string };
}

/**
 * Serves `/health` and `/metrics` for the analytics projection and, when given, the
 * run-status projection. Healthy only when every projection is; the analytics report
 * stays at the top level of `/health`, the run projection's is under `workflowRuns`.
 */
export async function startHttpServer(
  projector: ReportingProjection,
  host: string,
  port: number,
  workflowRuns?: ReportingProjection,
): Promise<ProjectorHttpServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/health") {
      const report = projector.health();
      const runsReport = workflowRuns?.health();
      const ok = report.ok && (runsReport?.ok ?? true);
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ status: ok ? "ok" : "unhealthy", ...report, ok, ...(runsReport ? { workflowRuns: runsReport } : {}) }));
      return;
    }
    if (req.method === "GET" && path === "/metrics") {
      const report = projector.health();
      let body = projector.metrics.render({ up: report.ok, assignedPartitions: report.assignedPartitions.length });
      if (workflowRuns) {
        const runsReport = workflowRuns.health();
        body += workflowRuns.metrics.render({ up: runsReport.ok, assignedPartitions: runsReport.assignedPartitions.length });
      }
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(body);
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "not found" }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
