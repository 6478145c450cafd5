import { getTrackingService } from "../../../lib/tracking/server";

// Evaluated per request: the answer is the tracking producer's state right now.
export const dynamic = "force-dynamic";

/**
 * Readiness: 200 once the tracking producer is connected and the schema id is
 * resolved, 503 while it is still connecting (pages are served either way).
 * Playwright's webServer waits on this before the first test.
 */
export function GET(): Response {
  const tracking = getTrackingService()?.status ?? "idle";
  const ready = tracking === "ready";
  return Response.json({ status: ready ? "ok" : "degraded", tracking }, { status: ready ? 200 : 503, headers: { "cache-control": "no-store" } });
}
