"use client";

import { useCallback } from "react";
import { blueprintOf } from "../../lib/workflows/blueprints";
import { isTerminalStatus, nodeStates, timelineFinished, type RunSnapshot } from "../../lib/workflows/events";
import { transportLabel } from "../../lib/workflows/transports";
import { DagPicture } from "./dag-picture";
import { RunControls } from "./run-controls";
import { usePoll } from "./use-poll";

/** How often a running run's page asks for its status and events. */
export const RUN_REFRESH_MS = 2_000;

function isSnapshot(body: unknown): body is RunSnapshot {
  const value = body as { run?: unknown; events?: unknown } | null;
  return !!value && "run" in value && Array.isArray(value.events) && value.events.every((e: Record<string, unknown>) => typeof e?.seq === "number" && typeof e?.type === "string");
}

/** Keep refreshing until the run is finished and its terminal event reached the event store. */
function stillChanging(snapshot: RunSnapshot): boolean {
  return !(isTerminalStatus(snapshot.run?.status) && timelineFinished(snapshot.events));
}

function formatTime(iso: string | null): string {
  return iso ? `${iso.slice(11, 23)}` : "";
}

/** A run's status, controls, DAG and timeline, refreshed while it runs. */
export function RunView({ runId, initial }: { runId: string; initial: RunSnapshot }) {
  const accept = useCallback(isSnapshot, []);
  const { value, freshness } = usePoll(`/runs/${runId}/state`, initial, accept, RUN_REFRESH_MS, stillChanging);
  const { run, events } = value;
  const workflowId = run?.workflowId ?? null;
  const blueprint = blueprintOf(workflowId);
  const states = blueprint ? nodeStates(blueprint.nodes.map((n) => n.id), events) : {};
  return (
    <>
      <p data-testid="run-live" data-freshness={freshness} className="field-hint">
        {freshness === "live" && `Live: refreshes every ${RUN_REFRESH_MS / 1000} seconds.`}
        {freshness === "stale" && "Could not refresh just now; showing the last state received."}
        {freshness === "signed-out" && "Your session ended; log in again."}
        {freshness === "done" && "This run has finished."}
      </p>
      {run ? (
        <dl className="run-facts">
          <dt>Workflow</dt>
          <dd>
            {run.workflowId ?? "?"} {run.version ? `v${run.version}` : ""}
          </dd>
          <dt>Transport</dt>
          <dd data-testid="run-page-transport" data-transport={run.transport ?? undefined}>
            {transportLabel(run.transport)}
          </dd>
          <dt>Status</dt>
          <dd>
            <span className={`run-status run-status-${run.status ?? "unknown"}`} data-testid="run-page-status">
              {run.status ?? "unknown"}
            </span>
            {run.statusReason ? ` (${run.statusReason})` : null}
          </dd>
          <dt>Correlation id</dt>
          <dd>{run.correlationId ?? "?"}</dd>
        </dl>
      ) : (
        <p role="status" data-testid="run-missing">
          No run with this id yet. A run just requested appears within a few seconds; otherwise check the id.
        </p>
      )}
      {run && !isTerminalStatus(run.status) ? <RunControls runId={runId} status={run.status} /> : null}
      {blueprint ? (
        <section aria-label="Workflow graph">
          <h2>Graph</h2>
          <DagPicture blueprint={blueprint} states={states} />
        </section>
      ) : null}
      <section aria-label="Timeline">
        <h2>Timeline</h2>
        {events.length === 0 ? (
          <p>No events stored yet.</p>
        ) : (
          <table className="runs-table" aria-label="Run events">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Event</th>
                <th scope="col">Node</th>
                <th scope="col">Attempt</th>
                <th scope="col">Time (UTC)</th>
                <th scope="col">Correlation id</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.seq} data-testid="run-event" data-type={event.type}>
                  <td>{event.seq}</td>
                  <td>{event.type}</td>
                  <td>{event.nodeId ?? ""}</td>
                  <td>{event.attempt ?? ""}</td>
                  <td>
                    <time dateTime={event.time ?? undefined}>{formatTime(event.time)}</time>
                  </td>
                  <td>{event.correlationId ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
