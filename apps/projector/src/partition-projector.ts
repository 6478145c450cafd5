import { isEmptyDelta, PartitionState, type ChunkDelta, type ChunkStats, type DayTally, type SourceRecord } from "./projection.ts";

/** Where the projection's state lives (Cassandra in production, a map in unit tests). */
export interface ProjectionStore {
  /** The stored next offset of `partition`, or null if it was never projected. */
  loadNextOffset(partition: number): Promise<number | null>;
  /** What `partition` has counted for `day` (counts and the ids counted). */
  loadDay(partition: number, day: string): Promise<DayTally>;
  /**
   * Writes a delta atomically: the new counts, the new ids and the next offset all land,
   * or none does (a logged batch). May be retried with the same delta.
   */
  write(delta: ChunkDelta): Promise<void>;
}

export interface PartitionProjectorOptions {
  /** Days kept in memory per partition; older ones are read back on demand. */
  maxDaysInMemory?: number;
}

/**
 * Projects one partition's records through a {@link ProjectionStore}, exactly once in
 * effect: state is loaded from the store, each chunk's delta is written in one atomic
 * write together with the next offset, and memory changes only after that write.
 *
 * TRICKY: a failed write may still have landed (a timeout), and a retry may cut the
 * records into different chunks. Planning again from memory could then write an OLDER
 * state over the newer one, while the ids it had added stay (inserts are not undone), and
 * a later reload would skip those events without counting them. So a failed delta is kept
 * and written again, unchanged, before anything else: writing the same absolute values,
 * ids and offset twice is harmless, and memory never falls behind what may be stored.
 */
export class PartitionProjector {
  readonly #store: ProjectionStore;
  readonly #state: PartitionState;
  readonly #maxDays: number;
  /** A delta whose write failed: written again before anything else is planned. */
  #pending: ChunkDelta | undefined;

  private constructor(store: ProjectionStore, state: PartitionState, maxDays: number) {
    this.#store = store;
    this.#state = state;
    this.#maxDays = maxDays;
  }

  /** Loads the partition's stored position (days are loaded as records need them). */
  static async load(store: ProjectionStore, partition: number, options: PartitionProjectorOptions = {}): Promise<PartitionProjector> {
    const nextOffset = await store.loadNextOffset(partition);
    return new PartitionProjector(store, new PartitionState(partition, nextOffset), options.maxDaysInMemory ?? 8);
  }

  get partition(): number {
    return this.#state.partition;
  }

  /** The next offset to project (null: nothing projected yet). */
  get nextOffset(): number | null {
    return this.#state.nextOffset;
  }

  /**
   * Projects `records` (in offset order) as one atomic write. Resolves with what happened
   * to them and whether anything was written; rejects if loading or writing failed.
   * Projecting the same records again after a rejection is safe.
   */
  async project(records: readonly SourceRecord[]): Promise<{ stats: ChunkStats; written: boolean }> {
    if (this.#pending) await this.#write(this.#pending);
    for (const day of this.#state.missingDays(records)) {
      this.#state.addDay(day, await this.#store.loadDay(this.#state.partition, day));
    }
    const delta = this.#state.plan(records);
    const written = !isEmptyDelta(delta);
    if (written) await this.#write(delta);
    this.#state.evict(this.#maxDays);
    return { stats: delta.stats, written };
  }

  async #write(delta: ChunkDelta): Promise<void> {
    this.#pending = delta;
    await this.#store.write(delta);
    this.#pending = undefined;
    this.#state.apply(delta);
  }
}
