import type { Metadata } from "next";
import { FindRunForm } from "../../components/workflows/find-run-form";
import { RunsList } from "../../components/workflows/runs-list";
import { StartRunForm } from "../../components/workflows/start-run-form";
import { requireUser } from "../../lib/auth/current-user";
import { getCassandra } from "../../lib/cassandra/server";
import { listRecentRuns } from "../../lib/workflows/run-queries";

export const metadata: Metadata = { title: "Runs" };

/** Start a workflow run and follow the recent runs (logged-in users only). */
export default async function RunsPage() {
  await requireUser();
  const runs = await listRecentRuns(getCassandra());
  return (
    <>
      <h1>Workflow runs</h1>
      <StartRunForm />
      <FindRunForm />
      <h2>Recent runs</h2>
      <RunsList initial={runs} />
    </>
  );
}
