import { unstable_rethrow } from "next/navigation";
import { getCurrentUser } from "../../../../lib/auth/current-user";
import { getCassandra } from "../../../../lib/cassandra/server";
import { log } from "../../../../lib/log";
import { readRunSnapshot } from "../../../../lib/workflows/run-queries";
import { runIdSchema } from "../../../../lib/workflows/schemas";

export const dynamic = "force-dynamic";

const NO_STORE = { "cache-control": "no-store" };

/** A run's status and timeline (its page polls this while it runs). 400 for a malformed id, 401 without a session, 503 while Cassandra cannot answer. */
export async function GET(_request: Request, context: { params: Promise<{ runId: string }> }): Promise<Response> {
  try {
    const user = await getCurrentUser();
    if (!user) return Response.json({ error: "not logged in" }, { status: 401, headers: NO_STORE });
    const parsed = runIdSchema.safeParse((await context.params).runId);
    if (!parsed.success) return Response.json({ error: "not a run id" }, { status: 400, headers: NO_STORE });
    const snapshot = await readRunSnapshot(getCassandra(), parsed.data);
    return Response.json(snapshot, { headers: NO_STORE });
  } catch (error) {
    unstable_rethrow(error);
    log.error("run could not be read", { error });
    return Response.json({ error: "the run is unavailable" }, { status: 503, headers: NO_STORE });
  }
}
