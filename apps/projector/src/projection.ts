/**
 * The analytics projection of one Kafka partition, as pure logic: which records count,
 * what the new absolute values are, and what must be written together. No I/O here;
 * `partition-projector.ts` loads state and writes the deltas this module plans.
 */

/** The fields of an InteractionEvent the rollups use. */
export interface ProjectedEvent {
  id: string;
  action: string;
  /** The page path for `view` events. */
  what: string;
  time: Date;
}

/** One Kafka record of the partition: its offset and its event, or null if it could not be decoded (poison). */
export interface SourceRecord {
  offset: number;
  event: ProjectedEvent | null;
}

/** The action whose `what` is a page path; page views are counted per path. */
export const VIEW_ACTION = "view";

/** The UTC calendar day of `time` as `YYYY-MM-DD`, the same day the Connect sink writes. */
export function utcDay(time: Date): string {
  return time.toISOString().slice(0, 10);
}

/** Everything one partition has counted for one UTC day. */
export interface DayTally {
  /** Cumulative events per action. */
  actions: Map<string, number>;
  /** Cumulative views per path. */
  pages: Map<string, number>;
  /** Ids of the events counted into this day (the dedup set). */
  seen: Set<string>;
}

export function emptyDayTally(): DayTally {
  return { actions: new Map(), pages: new Map(), seen: new Set() };
}

/** What one chunk changes; written in one logged batch, then applied to memory. */
export interface ChunkDelta {
  partition: number;
  /** The offset after the chunk's last record: where the projection resumes. */
  nextOffset: number;
  /** New absolute values of the (day, action) counts the chunk changed. */
  actionCounts: { day: string; action: string; events: number }[];
  /** New absolute values of the (day, path) view counts the chunk changed. */
  pageViews: { day: string; path: string; views: number }[];
  /** Events counted for the first time, to add to the dedup set. */
  newIds: { day: string; id: string }[];
  stats: ChunkStats;
}

export interface ChunkStats {
  /** Events counted. */
  counted: number;
  /** Events whose id was already counted (the same event produced more than once). */
  duplicates: number;
  /** Records below the stored offset (Kafka redelivered what was already projected). */
  alreadyProjected: number;
  /** Records that could not be decoded or validated; skipped, but the offset moves past them. */
  poison: number;
}

/** True when writing `delta` would change nothing stored (every record was below the stored offset). */
export function isEmptyDelta(delta: ChunkDelta): boolean {
  return delta.stats.counted + delta.stats.duplicates + delta.stats.poison === 0;
}

/**
 * In-memory state of one partition: the next offset to project and the tallies of the
 * days loaded so far. Days are loaded on demand (a chunk names the days it touches) and
 * evicted when unused; every day in memory equals what is stored, because deltas are
 * applied only after they were written.
 */
export class PartitionState {
  readonly partition: number;
  #nextOffset: number | null;
  readonly #days = new Map<string, DayTally>();

  /** `nextOffset` null: nothing was ever projected from this partition. */
  constructor(partition: number, nextOffset: number | null) {
    this.partition = partition;
    this.#nextOffset = nextOffset;
  }

  get nextOffset(): number | null {
    return this.#nextOffset;
  }

  /** Days currently held in memory, least recently used first. */
  get loadedDays(): string[] {
    return [...this.#days.keys()];
  }

  /** The days of `records` whose tallies are not in memory yet. */
  missingDays(records: readonly SourceRecord[]): string[] {
    const missing = new Set<string>();
    for (const record of records) {
      if (!record.event || this.#isProjected(record.offset)) continue;
      const day = utcDay(record.event.time);
      if (!this.#days.has(day)) missing.add(day);
    }
    return [...missing];
  }

  /** Installs the stored tally of `day` (after `missingDays` named it). */
  addDay(day: string, tally: DayTally): void {
    this.#days.set(day, tally);
  }

  /**
   * Plans a chunk: which records count and the resulting absolute values. Does not change
   * the state; call `apply` once the delta is durably written.
   * Records must be in offset order, and the days of their events loaded.
   */
  plan(records: readonly SourceRecord[]): ChunkDelta {
    const stats: ChunkStats = { counted: 0, duplicates: 0, alreadyProjected: 0, poison: 0 };
    const actionCounts = new Map<string, { day: string; action: string; events: number }>();
    const pageViews = new Map<string, { day: string; path: string; views: number }>();
    const newIds: { day: string; id: string }[] = [];
    const idsInChunk = new Set<string>();
    let nextOffset = this.#nextOffset;

    for (const record of records) {
      if (this.#isProjected(record.offset) || (nextOffset !== null && record.offset < nextOffset)) {
        stats.alreadyProjected++;
        continue;
      }
      nextOffset = record.offset + 1;
      const event = record.event;
      if (!event) {
        stats.poison++;
        continue;
      }
      const day = utcDay(event.time);
      const tally = this.#days.get(day);
      if (!tally) throw new Error(`day ${day} of partition ${this.partition} is not loaded`);
      const dayKey = `${day}\u0000${event.id}`;
      if (tally.seen.has(event.id) || idsInChunk.has(dayKey)) {
        stats.duplicates++;
        continue;
      }
      idsInChunk.add(dayKey);
      newIds.push({ day, id: event.id });
      stats.counted++;

      const actionKey = `${day}\u0000${event.action}`;
      const action = actionCounts.get(actionKey) ?? { day, action: event.action, events: tally.actions.get(event.action) ?? 0 };
      action.events++;
      actionCounts.set(actionKey, action);

      if (event.action === VIEW_ACTION) {
        const pageKey = `${day}\u0000${event.what}`;
        const page = pageViews.get(pageKey) ?? { day, path: event.what, views: tally.pages.get(event.what) ?? 0 };
        page.views++;
        pageViews.set(pageKey, page);
      }
    }

    return {
      partition: this.partition,
      nextOffset: nextOffset ?? 0,
      actionCounts: [...actionCounts.values()],
      pageViews: [...pageViews.values()],
      newIds,
      stats,
    };
  }

  /** Applies a written delta to memory. */
  apply(delta: ChunkDelta): void {
    if (delta.partition !== this.partition) throw new Error(`delta of partition ${delta.partition} applied to ${this.partition}`);
    if (isEmptyDelta(delta)) return;
    for (const { day, action, events } of delta.actionCounts) this.#touch(day).actions.set(action, events);
    for (const { day, path, views } of delta.pageViews) this.#touch(day).pages.set(path, views);
    for (const { day, id } of delta.newIds) this.#touch(day).seen.add(id);
    this.#nextOffset = delta.nextOffset;
  }

  /**
   * Drops least recently used days beyond `maxDays`. Safe at any time between chunks:
   * a dropped day is read back from Cassandra if a later event needs it.
   */
  evict(maxDays: number): string[] {
    const evicted: string[] = [];
    for (const day of this.#days.keys()) {
      if (this.#days.size <= maxDays) break;
      this.#days.delete(day);
      evicted.push(day);
    }
    return evicted;
  }

  #isProjected(offset: number): boolean {
    return this.#nextOffset !== null && offset < this.#nextOffset;
  }

  /** The day's tally, marked most recently used (Map keeps insertion order). */
  #touch(day: string): DayTally {
    const tally = this.#days.get(day);
    if (!tally) throw new Error(`day ${day} of partition ${this.partition} is not loaded`);
    this.#days.delete(day);
    this.#days.set(day, tally);
    return tally;
  }
}

/**
 * Where a batch stands against the stored position, decided on a partition's first batch
 * after an assignment:
 * - `process`: the batch reaches the stored offset (records below it are skipped as already projected);
 * - `seek`: the batch starts after the stored offset (the group's committed offset is ahead of
 *   the projection); seek back to `nextOffset` and drop the batch;
 * - `gap`: already sought once and the broker still starts later: the records in between are
 *   gone (retention). Project from here and report the gap.
 */
export function positionBatch(stored: number | null, firstOffset: number, alreadySought: boolean): "process" | "seek" | "gap" {
  const expected = stored ?? 0;
  if (firstOffset <= expected) return "process";
  return alreadySought ? "gap" : "seek";
}
