import type { Metadata } from "next";
import Link from "next/link";
import { RunView } from "../../../components/workflows/run-view";
import { requireUser } from "../../../lib/auth/current-user";
import { getCassandra } from "../../../lib/cassandra/server";
import { readRunSnapshot } from "../../../lib/workflows/run-queries";
import { runIdSchema } from "../../../lib/workflows/schemas";

export const metadata: Metadata = { title: "Run" };

/** One run: status, Pause/Resume/Cancel, the DAG by node state and the event-store timeline. */
export default async function RunPage({ params }: { params: Promise<{ runId: string }> }) {
  await requireUser();
  const parsed = runIdSchema.safeParse((await params).runId);
  if (!parsed.success) {
    return (
      <>
        <h1>Run</h1>
        <p role="alert" className="field-error">
          This is not a run id. <Link href="/runs">Back to the runs</Link>.
        </p>
      </>
    );
  }
  const runId = parsed.data;
  const snapshot = await readRunSnapshot(getCassandra(), runId);
  return (
    <>
      <h1>Run {runId}</h1>
      <p>
        <Link href="/runs">All runs</Link>
      </p>
      <RunView runId={runId} initial={snapshot} />
    </>
  );
}
