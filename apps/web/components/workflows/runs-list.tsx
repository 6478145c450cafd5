"use client";

import Link from "next/link";
import type { RunSummary } from "../../lib/workflows/events";
import { transportLabel } from "../../lib/workflows/transports";
import { usePoll } from "./use-poll";

/** How often the list asks for the runs' statuses. */
export const RUNS_REFRESH_MS = 2_500;

function isRunList(body: unknown): body is { runs: RunSummary[] } {
  const runs = (body as { runs?: unknown } | null)?.runs;
  return (
    Array.isArray(runs) &&
    runs.every(
      (r: Record<string, unknown>) =>
        typeof r?.runId === "string" &&
        typeof r?.status === "string" &&
        (r?.transport === null || typeof r?.transport === "string") &&
        typeof r?.createdAt === "string" &&
        typeof r?.updatedAt === "string",
    )
  );
}

function utcTime(iso: string) {
  return <time dateTime={iso}>{new Date(iso).toLocaleString("en-GB", { timeZone: "UTC" })} UTC</time>;
}

const always = () => true;

/** The newest runs of both transports (created today or yesterday) with their status, refreshed from /runs/recent every few seconds. */
export function RunsList({ initial }: { initial: RunSummary[] }) {
  const { value, freshness } = usePoll("/runs/recent", { runs: initial }, isRunList, RUNS_REFRESH_MS, always);
  return (
    <>
      <p className="field-hint" data-testid="runs-status" data-freshness={freshness}>
        {freshness === "live" && `Live: refreshes every ${RUNS_REFRESH_MS / 1000} seconds.`}
        {freshness === "stale" && "Could not refresh just now; showing the last statuses received."}
        {freshness === "signed-out" && "Your session ended; log in again to see new statuses."}
      </p>
      {value.runs.length === 0 ? (
        <p>No runs yet.</p>
      ) : (
        <table className="runs-table" aria-label="Recent runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Workflow</th>
              <th scope="col">Transport</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {value.runs.map((run) => (
              <tr key={run.runId} data-run-id={run.runId}>
                <td>
                  <Link href={`/runs/${run.runId}`}>{run.runId}</Link>
                </td>
                <td>{run.workflowId ?? "?"}</td>
                <td data-testid="run-transport" data-transport={run.transport ?? undefined}>
                  {transportLabel(run.transport)}
                </td>
                <td>
                  <span className={`run-status run-status-${run.status}`} data-testid="run-status">
                    {run.status}
                  </span>
                </td>
                <td>{utcTime(run.createdAt)}</td>
                <td>{utcTime(run.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
