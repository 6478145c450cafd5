/** What the run projection did with the events it consumed, by outcome. */
export interface RunEventCounts {
  /** Events folded into a row (those read from the event store to fill a gap included). */
  applied: number;
  /** Events whose seq the row already had (redeliveries, re-publishes): nothing written for them. */
  duplicates: number;
  /** Events that arrived after a later one and were read from the event store to fill the gap. */
  fromStore: number;
  /** Records that could not be decoded or validated; skipped (Connect dead-letters them too). */
  poison: number;
}

/** Counters of the live run projection, exposed at `/metrics` (Prometheus text format). */
export class RunProjectorMetrics {
  readonly events: RunEventCounts = { applied: 0, duplicates: 0, fromStore: 0, poison: 0 };
  rowsWritten = 0;
  /** Runs whose next event was missing, so the projection waited for the event store. */
  gapWaits = 0;
  /** Gaps the event store did not fill in time: the run was folded without the missing events. */
  gapsSkipped = 0;
  batchErrors = 0;
  /** Unix ms of the last chunk projected, 0 before the first. */
  lastProjectedAt = 0;

  /** Prometheus exposition text. */
  render(extra: { up: boolean; assignedPartitions: number }): string {
    const lines = [
      "# HELP taskflow_run_projector_events_total Events of taskflow-workflow-events by what the run projection did with them.",
      "# TYPE taskflow_run_projector_events_total counter",
      ...Object.entries(this.events).map(([outcome, n]) => `taskflow_run_projector_events_total{outcome="${snake(outcome)}"} ${n}`),
      "# HELP taskflow_run_projector_rows_written_total Run rows written (status and by-day rows in one logged batch).",
      "# TYPE taskflow_run_projector_rows_written_total counter",
      `taskflow_run_projector_rows_written_total ${this.rowsWritten}`,
      "# HELP taskflow_run_projector_gap_waits_total Runs whose next event arrived late, read from the event store.",
      "# TYPE taskflow_run_projector_gap_waits_total counter",
      `taskflow_run_projector_gap_waits_total ${this.gapWaits}`,
      "# HELP taskflow_run_projector_gaps_skipped_total Gaps the event store did not fill in time (run folded without them; a rebuild repairs it).",
      "# TYPE taskflow_run_projector_gaps_skipped_total counter",
      `taskflow_run_projector_gaps_skipped_total ${this.gapsSkipped}`,
      "# HELP taskflow_run_projector_batch_errors_total Batches that failed (reading or writing) and were retried.",
      "# TYPE taskflow_run_projector_batch_errors_total counter",
      `taskflow_run_projector_batch_errors_total ${this.batchErrors}`,
      "# HELP taskflow_run_projector_last_projected_timestamp_seconds When the last chunk was projected.",
      "# TYPE taskflow_run_projector_last_projected_timestamp_seconds gauge",
      `taskflow_run_projector_last_projected_timestamp_seconds ${this.lastProjectedAt / 1000}`,
      "# HELP taskflow_run_projector_assigned_partitions Partitions of taskflow-workflow-events assigned to this projector.",
      "# TYPE taskflow_run_projector_assigned_partitions gauge",
      `taskflow_run_projector_assigned_partitions ${extra.assignedPartitions}`,
      "# HELP taskflow_run_projector_up 1 when the run projection's consumer loop runs and Cassandra is connected.",
      "# TYPE taskflow_run_projector_up gauge",
      `taskflow_run_projector_up ${extra.up ? 1 : 0}`,
    ];
    return `${lines.join("\n")}\n`;
  }
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
