import { describe, expect, it } from "vitest";
import { emptyDayTally, PartitionState, positionBatch, utcDay, type SourceRecord } from "./projection.ts";

const DAY = "2001-03-04";
let nextId = 0;
function event(action: string, what: string, time = `${DAY}T10:00:00.000Z`, id = `00000000-0000-4000-8000-${String(++nextId).padStart(12, "0")}`) {
  return { id, action, what, time: new Date(time) };
}
function records(...events: (ReturnType<typeof event> | null)[]): SourceRecord[] {
  return events.map((e, offset) => ({ offset, event: e }));
}
function freshState(nextOffset: number | null = null, days = [DAY]): PartitionState {
  const state = new PartitionState(0, nextOffset);
  for (const day of days) state.addDay(day, emptyDayTally());
  return state;
}

describe("utcDay", () => {
  it("is the calendar day in UTC, whatever the local time zone", () => {
    expect(utcDay(new Date("2001-03-04T23:59:59.999Z"))).toBe("2001-03-04");
    expect(utcDay(new Date("2001-03-05T00:00:00.000Z"))).toBe("2001-03-05");
  });
});

describe("PartitionState.plan", () => {
  it("counts events per action and views per path, as absolute values", () => {
    const state = freshState();
    const delta = state.plan(records(event("view", "/a"), event("view", "/a"), event("view", "/b"), event("login", "login")));
    expect(delta.nextOffset).toBe(4);
    expect(delta.actionCounts).toEqual([
      { day: DAY, action: "view", events: 3 },
      { day: DAY, action: "login", events: 1 },
    ]);
    expect(delta.pageViews).toEqual([
      { day: DAY, path: "/a", views: 2 },
      { day: DAY, path: "/b", views: 1 },
    ]);
    expect(delta.newIds).toHaveLength(4);
    expect(delta.stats).toEqual({ counted: 4, duplicates: 0, alreadyProjected: 0, poison: 0 });
  });

  it("does not change the state until the delta is applied", () => {
    const state = freshState();
    const chunk = records(event("view", "/a"));
    const first = state.plan(chunk);
    expect(state.plan(chunk)).toEqual(first);
    expect(state.nextOffset).toBeNull();
    state.apply(first);
    expect(state.nextOffset).toBe(1);
    // The same records again are below the offset now: nothing to write.
    expect(state.plan(chunk).stats).toEqual({ counted: 0, duplicates: 0, alreadyProjected: 1, poison: 0 });
  });

  it("continues from the stored counts", () => {
    const state = new PartitionState(0, 10);
    state.addDay(DAY, { actions: new Map([["view", 7]]), pages: new Map([["/a", 7]]), seen: new Set() });
    const delta = state.plan([{ offset: 10, event: event("view", "/a") }]);
    expect(delta.actionCounts).toEqual([{ day: DAY, action: "view", events: 8 }]);
    expect(delta.pageViews).toEqual([{ day: DAY, path: "/a", views: 8 }]);
  });

  it("counts an event id once, within a chunk and across chunks", () => {
    const state = freshState();
    const twice = event("create", "Write the report");
    const delta = state.plan(records(twice, { ...twice }));
    expect(delta.stats).toMatchObject({ counted: 1, duplicates: 1 });
    expect(delta.actionCounts).toEqual([{ day: DAY, action: "create", events: 1 }]);
    state.apply(delta);
    const again = state.plan([{ offset: 2, event: { ...twice } }]);
    expect(again.stats).toMatchObject({ counted: 0, duplicates: 1 });
    expect(again.actionCounts).toEqual([]);
    expect(again.nextOffset).toBe(3);
  });

  it("skips records below the stored offset (redelivery)", () => {
    const state = freshState(2);
    const delta = state.plan(records(event("view", "/a"), event("view", "/a"), event("view", "/b")));
    expect(delta.stats).toEqual({ counted: 1, duplicates: 0, alreadyProjected: 2, poison: 0 });
    expect(delta.pageViews).toEqual([{ day: DAY, path: "/b", views: 1 }]);
  });

  it("moves the offset past poison records without counting them", () => {
    const state = freshState();
    const delta = state.plan(records(null, event("logout", "logout"), null));
    expect(delta.nextOffset).toBe(3);
    expect(delta.stats).toMatchObject({ counted: 1, poison: 2 });
  });

  it("names the days it needs and refuses to plan without them", () => {
    const state = new PartitionState(0, null);
    const chunk = records(event("view", "/a", "2001-03-04T23:59:59.000Z"), event("view", "/a", "2001-03-05T00:00:01.000Z"));
    expect(state.missingDays(chunk)).toEqual(["2001-03-04", "2001-03-05"]);
    expect(() => state.plan(chunk)).toThrow(/not loaded/);
    state.addDay("2001-03-04", emptyDayTally());
    state.addDay("2001-03-05", emptyDayTally());
    const delta = state.plan(chunk);
    expect(delta.actionCounts).toEqual([
      { day: "2001-03-04", action: "view", events: 1 },
      { day: "2001-03-05", action: "view", events: 1 },
    ]);
  });

  it("evicts the least recently used days", () => {
    const state = freshState(null, ["2001-01-01", "2001-01-02", "2001-01-03"]);
    state.apply(state.plan(records(event("view", "/a", "2001-01-01T00:00:00Z"))));
    expect(state.evict(2)).toEqual(["2001-01-02"]);
    expect(state.loadedDays).toEqual(["2001-01-03", "2001-01-01"]);
  });
});

describe("positionBatch", () => {
  it("processes a batch that reaches the stored offset", () => {
    expect(positionBatch(10, 10, false)).toBe("process");
    expect(positionBatch(10, 4, false)).toBe("process");
    expect(positionBatch(null, 0, false)).toBe("process");
  });

  it("seeks back when the group's offset is ahead of the projection", () => {
    expect(positionBatch(10, 12, false)).toBe("seek");
    expect(positionBatch(null, 5, false)).toBe("seek");
  });

  it("accepts a gap once a seek could not go further back (retention)", () => {
    expect(positionBatch(10, 12, true)).toBe("gap");
  });
});
