import cassandra from "cassandra-driver";
import type { ProjectionStore } from "./partition-projector.ts";
import { emptyDayTally, type ChunkDelta, type DayTally } from "./projection.ts";

/**
 * The projection's tables (kafka/cassandra/005-analytics.cql). The statement texts live
 * here, once; every statement is prepared.
 */
const CQL = {
  loadOffset: "SELECT next_offset FROM taskflow.analytics_projector_offsets WHERE topic = ? AND source_partition = ?",
  // NOTE: a day's rows of every partition are read and this partition's kept: the table is
  // keyed for the dashboard's GROUP BY action, and a day holds at most actions x partitions rows.
  loadActions: "SELECT action, source_partition, events FROM taskflow.action_counts_by_day WHERE day = ?",
  loadPages: "SELECT path, source_partition, views FROM taskflow.page_views_by_day WHERE day = ?",
  loadSeen: "SELECT event_ids FROM taskflow.analytics_projector_seen WHERE source_partition = ? AND day = ?",
  writeAction: "UPDATE taskflow.action_counts_by_day SET events = ? WHERE day = ? AND action = ? AND source_partition = ?",
  writePage: "UPDATE taskflow.page_views_by_day SET views = ? WHERE day = ? AND path = ? AND source_partition = ?",
  writeSeen: "INSERT INTO taskflow.analytics_projector_seen (source_partition, day, next_offset, event_ids) VALUES (?, ?, ?, ?)",
  writeOffset: "UPDATE taskflow.analytics_projector_offsets SET next_offset = ?, updated_at = ? WHERE topic = ? AND source_partition = ?",
} as const;

/**
 * CRITICAL: state is read back after a restart or rebalance and must include every write
 * that preceded it. LOCAL_QUORUM on both sides guarantees that with any replication
 * factor (with RF 1, as locally, it is the same as ONE).
 */
const STATE_CONSISTENCY = cassandra.types.consistencies.localQuorum;

/** A {@link ProjectionStore} on Cassandra for the projection of `topic`. */
export class CassandraProjectionStore implements ProjectionStore {
  readonly #client: cassandra.Client;
  readonly #topic: string;

  constructor(client: cassandra.Client, topic: string) {
    this.#client = client;
    this.#topic = topic;
  }

  async loadNextOffset(partition: number): Promise<number | null> {
    const result = await this.#client.execute(CQL.loadOffset, [this.#topic, partition], { prepare: true, consistency: STATE_CONSISTENCY });
    const value = result.first()?.get("next_offset") as cassandra.types.Long | null | undefined;
    return value == null ? null : value.toNumber();
  }

  async loadDay(partition: number, day: string): Promise<DayTally> {
    const options = { prepare: true, consistency: STATE_CONSISTENCY, fetchSize: 5_000 };
    const tally = emptyDayTally();
    const [actions, pages] = await Promise.all([
      this.#client.execute(CQL.loadActions, [day], options),
      this.#client.execute(CQL.loadPages, [day], options),
    ]);
    for await (const row of actions) {
      if (row.get("source_partition") === partition) tally.actions.set(row.get("action") as string, toNumber(row.get("events")));
    }
    for await (const row of pages) {
      if (row.get("source_partition") === partition) tally.pages.set(row.get("path") as string, toNumber(row.get("views")));
    }
    // The async iterator fetches the following pages as it goes.
    for await (const row of await this.#client.execute(CQL.loadSeen, [partition, day], options)) {
      for (const id of (row.get("event_ids") as cassandra.types.Uuid[] | null) ?? []) tally.seen.add(id.toString());
    }
    return tally;
  }

  /**
   * One LOGGED batch: Cassandra's batch log guarantees that all of it is applied or none,
   * even if this process or the coordinator dies half-way. That is what makes the counts,
   * the dedup set and the offset move together.
   */
  async write(delta: ChunkDelta): Promise<void> {
    const queries: { query: string; params: unknown[] }[] = [];
    for (const { day, action, events } of delta.actionCounts) queries.push({ query: CQL.writeAction, params: [events, day, action, delta.partition] });
    for (const { day, path, views } of delta.pageViews) queries.push({ query: CQL.writePage, params: [views, day, path, delta.partition] });
    const idsByDay = new Map<string, string[]>();
    for (const { day, id } of delta.newIds) {
      const ids = idsByDay.get(day);
      if (ids) ids.push(id);
      else idsByDay.set(day, [id]);
    }
    for (const [day, ids] of idsByDay) queries.push({ query: CQL.writeSeen, params: [delta.partition, day, delta.nextOffset, ids] });
    queries.push({ query: CQL.writeOffset, params: [delta.nextOffset, new Date(), this.#topic, delta.partition] });
    await this.#client.batch(queries, { prepare: true, logged: true, consistency: STATE_CONSISTENCY });
  }
}

function toNumber(value: unknown): number {
  if (value == null) return 0;
  if (typeof value === "number") return value;
  return (value as cassandra.types.Long).toNumber();
}
