/**
 * `npm run rebuild:runs -w apps/projector [-- --since YYYY-MM-DD]` (root:
 * `npm run projections:rebuild`): truncates the run projection and folds it again from
 * the event store alone, then prints what it did. Exits non-zero on any failure.
 */
import { connectCassandra, parseContactPoints } from "@taskflow/cassandra";
import { parseRebuildArgs, rebuildRunProjection } from "./rebuild.ts";

async function main(): Promise<void> {
  const { env } = await import("../env.ts");
  const { since } = parseRebuildArgs(process.argv.slice(2));
  const client = await connectCassandra({
    contactPoints: parseContactPoints(env.CASSANDRA_CONTACT_POINTS),
    port: env.CASSANDRA_PORT,
    localDataCenter: env.CASSANDRA_LOCAL_DC,
  });
  try {
    console.log(`rebuild: truncating taskflow.workflow_run_status and taskflow.workflow_runs_by_day; runs with events since ${since}`);
    const report = await rebuildRunProjection(client, { since });
    console.log(
      `rebuild: ${report.runs} runs, ${report.events} events folded from the event store ` +
        `(${report.dayRowsScanned} rows of workflow_events_by_day over ${report.days} days, ${report.since}..${report.until}) in ${report.ms} ms`,
    );
  } finally {
    await client.shutdown();
  }
}

main().catch((error: unknown) => {
  console.error(`rebuild failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
