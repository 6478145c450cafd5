import { getCassandraService } from "../../../lib/cassandra/server";
import { getTrackingService } from "../../../lib/tracking/server";

// Evaluated per request: the answer is the clients' state right now.
export const dynamic = "force-dynamic";

/**
 * Readiness: 200 once the tracking producer is connected (schema id resolved)
 * and Cassandra is connected, 503 while either is still connecting (pages are
 * served either way). Playwright's webServer waits on this before the first test.
 */
export function GET(): Response {
  const tracking = getTrackingService()?.status ?? "idle";
  const cassandra = getCassandraService()?.status ?? "idle";
  const ready = tracking === "ready" && cassandra === "ready";
  return Response.json(
    { status: ready ? "ok" : "degraded", tracking, cassandra },
    { status: ready ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
