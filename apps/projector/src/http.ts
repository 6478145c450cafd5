import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Projector } from "./projector.ts";

/** The projector's HTTP endpoints: `/health` (503 when unhealthy) and `/metrics`. */
export interface ProjectorHttpServer {
  /** The bound port (useful when started on port 0). */
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(projector: Pick<Projector, "health" | "metrics">, host: string, port: number): Promise<ProjectorHttpServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/health") {
      const report = projector.health();
      res.writeHead(report.ok ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ status: report.ok ? "ok" : "unhealthy", ...report }));
      return;
    }
    if (req.method === "GET" && path === "/metrics") {
      const report = projector.health();
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(projector.metrics.render({ up: report.ok, assignedPartitions: report.assignedPartitions.length }));
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
