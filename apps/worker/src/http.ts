import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HealthReport {
  healthy: boolean;
  checks: Record<string, boolean>;
}

/**
 * `/health` (200 when every check passes, else 503, with the checks as JSON) and
 * `/metrics` (Prometheus text). Resolves once listening.
 */
export async function startHttpServer(options: {
  host: string;
  port: number;
  health: () => Promise<HealthReport>;
  metrics: () => string;
}): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (path === "/health") {
      options.health().then(
        (report) => {
          response.writeHead(report.healthy ? 200 : 503, { "content-type": "application/json" });
          response.end(JSON.stringify(report));
        },
        () => {
          response.writeHead(503, { "content-type": "application/json" });
          response.end(JSON.stringify({ healthy: false, checks: {} }));
        },
      );
      return;
    }
    if (path === "/metrics") {
      response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      response.end(options.metrics());
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
