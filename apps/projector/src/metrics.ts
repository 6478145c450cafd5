import type { ChunkStats } from "./projection.ts";

/** Counters of what the projector did, exposed at `/metrics` (Prometheus text format). */
export class ProjectorMetrics {
  readonly records: Record<keyof ChunkStats, number> = { counted: 0, duplicates: 0, alreadyProjected: 0, poison: 0 };
  batchesWritten = 0;
  batchErrors = 0;
  /** Unix ms of the last chunk projected (written or skipped), 0 before the first. */
  lastProjectedAt = 0;

  add(stats: ChunkStats, written: boolean): void {
    for (const key of Object.keys(this.records) as (keyof ChunkStats)[]) this.records[key] += stats[key];
    if (written) this.batchesWritten++;
    this.lastProjectedAt = Date.now();
  }

  /** Prometheus exposition text. */
  render(extra: { up: boolean; assignedPartitions: number }): string {
    const lines = [
      "# HELP taskflow_projector_records_total Records of taskflow-interactions by what the projector did with them.",
      "# TYPE taskflow_projector_records_total counter",
      ...Object.entries(this.records).map(([outcome, n]) => `taskflow_projector_records_total{outcome="${snake(outcome)}"} ${n}`),
      "# HELP taskflow_projector_batches_written_total Logged batches written (counts, ids and offset together).",
      "# TYPE taskflow_projector_batches_written_total counter",
      `taskflow_projector_batches_written_total ${this.batchesWritten}`,
      "# HELP taskflow_projector_batch_errors_total Batches that failed (loading or writing) and were retried.",
      "# TYPE taskflow_projector_batch_errors_total counter",
      `taskflow_projector_batch_errors_total ${this.batchErrors}`,
      "# HELP taskflow_projector_last_projected_timestamp_seconds When the last chunk was projected.",
      "# TYPE taskflow_projector_last_projected_timestamp_seconds gauge",
      `taskflow_projector_last_projected_timestamp_seconds ${this.lastProjectedAt / 1000}`,
      "# HELP taskflow_projector_assigned_partitions Partitions of taskflow-interactions assigned to this projector.",
      "# TYPE taskflow_projector_assigned_partitions gauge",
      `taskflow_projector_assigned_partitions ${extra.assignedPartitions}`,
      "# HELP taskflow_projector_up 1 when the consumer loop runs and Cassandra is connected.",
      "# TYPE taskflow_projector_up gauge",
      `taskflow_projector_up ${extra.up ? 1 : 0}`,
    ];
    return `${lines.join("\n")}\n`;
  }
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
