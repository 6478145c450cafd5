import { unstable_rethrow } from "next/navigation";
import { getCurrentUser } from "../../../lib/auth/current-user";
import { getCassandra } from "../../../lib/cassandra/server";
import { log } from "../../../lib/log";
import { listRecentRuns } from "../../../lib/workflows/run-queries";

// Evaluated per request: the answer is the runs' statuses right now.
export const dynamic = "force-dynamic";

const NO_STORE = { "cache-control": "no-store" };

/** The recent runs with their status (the /runs list polls this). 401 without a session, 503 while Cassandra cannot answer. */
export async function GET(): Promise<Response> {
  try {
    const user = await getCurrentUser();
    if (!user) return Response.json({ error: "not logged in" }, { status: 401, headers: NO_STORE });
    const runs = await listRecentRuns(getCassandra());
    return Response.json({ runs }, { headers: NO_STORE });
  } catch (error) {
    unstable_rethrow(error);
    log.error("recent runs could not be read", { error });
    return Response.json({ error: "runs are unavailable" }, { status: 503, headers: NO_STORE });
  }
}
