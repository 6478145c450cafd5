import { unstable_rethrow } from "next/navigation";
import { loadRecentActivity } from "../../../lib/analytics/dashboard";
import { getCurrentUser } from "../../../lib/auth/current-user";
import { log } from "../../../lib/log";

// Evaluated per request: the answer is the user's newest events right now.
export const dynamic = "force-dynamic";

const NO_STORE = { "cache-control": "no-store" };

/**
 * The logged-in user's newest events (the dashboard's live list polls this).
 * 401 without a session, 503 while Cassandra cannot answer; no error text leaves the server.
 */
export async function GET(): Promise<Response> {
  try {
    const user = await getCurrentUser();
    if (!user) return Response.json({ error: "not logged in" }, { status: 401, headers: NO_STORE });
    const items = await loadRecentActivity(user.email);
    return Response.json({ items }, { headers: NO_STORE });
  } catch (error) {
    unstable_rethrow(error);
    log.error("recent activity could not be read", { error });
    return Response.json({ error: "recent activity is unavailable" }, { status: 503, headers: NO_STORE });
  }
}
