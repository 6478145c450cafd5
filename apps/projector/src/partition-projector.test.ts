import { describe, expect, it } from "vitest";
import { PartitionProjector, type ProjectionStore } from "./partition-projector.ts";
import { emptyDayTally, utcDay, type ChunkDelta, type DayTally, type SourceRecord } from "./projection.ts";

/** A ProjectionStore in memory whose writes can fail before or after they land. */
class MemoryStore implements ProjectionStore {
  readonly offsets = new Map<number, number>();
  readonly actions = new Map<string, number>(); // `${day}|${action}|${partition}`
  readonly pages = new Map<string, number>();
  readonly seen = new Map<string, Set<string>>(); // `${partition}|${day}`
  writes = 0;
  /** Decides, per write, whether it fails: "before" (nothing lands) or "after" (it lands, the caller sees an error). */
  failure: (() => "before" | "after" | undefined) | undefined;

  async loadNextOffset(partition: number) {
    return this.offsets.get(partition) ?? null;
  }

  async loadDay(partition: number, day: string): Promise<DayTally> {
    const tally = emptyDayTally();
    for (const [key, n] of this.actions) {
      const [d, action, p] = key.split("|");
      if (d === day && Number(p) === partition) tally.actions.set(action!, n);
    }
    for (const [key, n] of this.pages) {
      const [d, path, p] = key.split("|");
      if (d === day && Number(p) === partition) tally.pages.set(path!, n);
    }
    tally.seen = new Set(this.seen.get(`${partition}|${day}`) ?? []);
    return tally;
  }

  async write(delta: ChunkDelta) {
    this.writes++;
    const failure = this.failure?.();
    if (failure === "before") throw new Error("write timed out (not applied)");
    for (const { day, action, events } of delta.actionCounts) this.actions.set(`${day}|${action}|${delta.partition}`, events);
    for (const { day, path, views } of delta.pageViews) this.pages.set(`${day}|${path}|${delta.partition}`, views);
    for (const { day, id } of delta.newIds) {
      const key = `${delta.partition}|${day}`;
      this.seen.set(key, new Set([...(this.seen.get(key) ?? []), id]));
    }
    this.offsets.set(delta.partition, delta.nextOffset);
    if (failure === "after") throw new Error("write timed out (but applied)");
  }

  /** Views per (day, path), summed over partitions, as the dashboard reads them. */
  totals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, n] of this.actions) {
      const [day, action] = key.split("|");
      out[`${day} ${action}`] = (out[`${day} ${action}`] ?? 0) + n;
    }
    for (const [key, n] of this.pages) {
      const [day, path] = key.split("|");
      out[`${day} ${path}`] = (out[`${day} ${path}`] ?? 0) + n;
    }
    return out;
  }
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

/**
 * A partition's log: events over three days, some produced twice (the outbox re-sending,
 * possibly much later), some poison. Returns the log and the totals it must project to.
 */
function scriptedLog(rand: () => number, size: number) {
  const log: SourceRecord[] = [];
  const produced: NonNullable<SourceRecord["event"]>[] = [];
  const expected: Record<string, number> = {};
  const actions = ["view", "view", "view", "login", "create", "complete"];
  for (let offset = 0; offset < size; offset++) {
    const roll = rand();
    let event: SourceRecord["event"];
    if (roll < 0.05) event = null;
    else if (roll < 0.15 && produced.length > 0) event = { ...produced[Math.floor(rand() * produced.length)]! };
    else {
      const action = actions[Math.floor(rand() * actions.length)]!;
      const what = action === "view" ? `/page-${Math.floor(rand() * 4)}` : "something";
      const time = new Date(Date.UTC(2001, 2, 4 + Math.floor(rand() * 3), Math.floor(rand() * 24)));
      event = { id: uuid(offset), action, what, time };
      produced.push(event);
      const day = utcDay(time);
      expected[`${day} ${action}`] = (expected[`${day} ${action}`] ?? 0) + 1;
      if (action === "view") expected[`${day} ${what}`] = (expected[`${day} ${what}`] ?? 0) + 1;
    }
    log.push({ offset, event });
  }
  return { log, expected };
}

describe("PartitionProjector", () => {
  it("loads the stored position and projects through the store", async () => {
    const store = new MemoryStore();
    const projector = await PartitionProjector.load(store, 2);
    expect(projector.nextOffset).toBeNull();
    const time = new Date("2001-03-04T09:00:00Z");
    const { stats, written } = await projector.project([
      { offset: 0, event: { id: uuid(1), action: "view", what: "/a", time } },
      { offset: 1, event: { id: uuid(1), action: "view", what: "/a", time } },
    ]);
    expect({ stats, written }).toEqual({ stats: { counted: 1, duplicates: 1, alreadyProjected: 0, poison: 0 }, written: true });
    expect(store.offsets.get(2)).toBe(2);
    expect(store.totals()).toEqual({ "2001-03-04 view": 1, "2001-03-04 /a": 1 });

    const restarted = await PartitionProjector.load(store, 2);
    expect(restarted.nextOffset).toBe(2);
    // The outbox re-sends the same event after the restart: the stored ids catch it.
    const again = await restarted.project([{ offset: 2, event: { id: uuid(1), action: "view", what: "/a", time } }]);
    expect(again.stats.duplicates).toBe(1);
    expect(store.totals()).toEqual({ "2001-03-04 view": 1, "2001-03-04 /a": 1 });
  });

  it("writes nothing for a chunk that was entirely projected before", async () => {
    const store = new MemoryStore();
    store.offsets.set(0, 5);
    const projector = await PartitionProjector.load(store, 0);
    const result = await projector.project([{ offset: 3, event: { id: uuid(3), action: "view", what: "/a", time: new Date() } }]);
    expect(result).toEqual({ stats: { counted: 0, duplicates: 0, alreadyProjected: 1, poison: 0 }, written: false });
    expect(store.writes).toBe(0);
  });

  it("leaves memory unchanged when a write fails, so the retry counts once", async () => {
    const store = new MemoryStore();
    const projector = await PartitionProjector.load(store, 0);
    const chunk: SourceRecord[] = [{ offset: 0, event: { id: uuid(1), action: "login", what: "login", time: new Date("2001-03-04T00:00:00Z") } }];
    for (const when of ["before", "after"] as const) {
      store.failure = () => when;
      await expect(projector.project(chunk)).rejects.toThrow(/timed out/);
    }
    store.failure = undefined;
    await projector.project(chunk);
    expect(store.totals()).toEqual({ "2001-03-04 login": 1 });
  });

  it.each(Array.from({ length: 12 }, (_, i) => i + 1))(
    "projects exactly once through crashes, failed writes, redelivery and re-sent events (seed %i)",
    async (seed) => {
      const rand = random(seed);
      const { log, expected } = scriptedLog(rand, 600);
      const store = new MemoryStore();
      // One write in eight fails: half of those after the batch landed (e.g. a timeout).
      store.failure = () => (rand() < 0.125 ? (rand() < 0.5 ? "before" : "after") : undefined);

      let projector = await PartitionProjector.load(store, 0, { maxDaysInMemory: 1 + Math.floor(rand() * 3) });
      // Where Kafka delivers from: after a crash, anywhere at or before the stored offset
      // (the group's committed offset lags the stored one).
      let position = 0;
      let crashes = 0;
      while (position < log.length) {
        const size = 1 + Math.floor(rand() * 40);
        const chunk = log.slice(position, position + size);
        try {
          await projector.project(chunk);
          position += chunk.length;
        } catch {
          // A failed batch is redelivered from the same position.
        }
        if (rand() < 0.1 || (crashes === 0 && position > log.length / 2)) {
          crashes++;
          projector = await PartitionProjector.load(store, 0, { maxDaysInMemory: 1 + Math.floor(rand() * 3) });
          const stored = projector.nextOffset ?? 0;
          position = Math.floor(rand() * (stored + 1));
        }
      }
      expect(crashes).toBeGreaterThan(0);
      expect(store.offsets.get(0)).toBe(log.length);
      expect(store.totals()).toEqual(expected);
    },
  );
});
