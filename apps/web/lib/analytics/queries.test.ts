import { describe, expect, it } from "vitest";
import { ANALYTICS_CQL, daysEndingWith, readDashboard, sortPageViews, utcToday, type CqlReader } from "./queries";

const long = (n: number) => ({ toNumber: () => n });
const row = (values: Record<string, unknown>) => ({ get: (column: string) => values[column] });

/** Answers the dashboard's statements from fixed data, and records what was asked. */
function fakeReader(data: { counts: Record<string, Record<string, number>>; pages: Record<string, number>; activity: Record<string, unknown>[] }) {
  const calls: { query: string; params: unknown[]; prepare: boolean }[] = [];
  const reader: CqlReader = {
    async execute(query, params, options) {
      calls.push({ query, params, prepare: options.prepare });
      if (query === ANALYTICS_CQL.actionCounts) return { rows: Object.entries(data.counts[params[0] as string] ?? {}).map(([action, n]) => row({ action, events: long(n) })) };
      if (query === ANALYTICS_CQL.pageViews) return { rows: Object.entries(data.pages).map(([path, n]) => row({ path, views: long(n) })) };
      if (query === ANALYTICS_CQL.recentActivity) return { rows: data.activity.map(row) };
      throw new Error(`unexpected statement ${query}`);
    },
  };
  return { reader, calls };
}

describe("daysEndingWith", () => {
  it("counts back in UTC days, across month ends", () => {
    expect(daysEndingWith("2026-03-02", 4)).toEqual(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]);
  });

  it("refuses what is not a day", () => {
    expect(() => daysEndingWith("yesterday", 2)).toThrow(RangeError);
  });
});

describe("utcToday", () => {
  it("is the UTC date", () => {
    expect(utcToday(new Date("2026-11-23T23:30:00-05:00"))).toBe("2026-11-24");
  });
});

describe("sortPageViews", () => {
  it("puts the most viewed first and breaks ties by path", () => {
    expect(sortPageViews([{ path: "/b", views: 2 }, { path: "/c", views: 5 }, { path: "/a", views: 2 }])).toEqual([
      { path: "/c", views: 5 },
      { path: "/a", views: 2 },
      { path: "/b", views: 2 },
    ]);
  });
});

describe("readDashboard", () => {
  it("shapes views per day, the day's actions, its top pages and the user's activity", async () => {
    const time = new Date("2026-11-23T10:00:00.000Z");
    const { reader, calls } = fakeReader({
      counts: { "2026-11-21": { view: 4 }, "2026-11-23": { view: 9, login: 2, create: 0, complete: 3 } },
      pages: { "/": 5, "/todos": 3, "/about": 1 },
      activity: [{ id: "e1", time, action: "view", what: "/todos" }],
    });
    const data = await readDashboard(reader, { day: "2026-11-23", who: "ada@example.com", days: 3, topPages: 2 });
    expect(data).toEqual({
      day: "2026-11-23",
      viewsPerDay: [
        { day: "2026-11-21", views: 4 },
        { day: "2026-11-22", views: 0 },
        { day: "2026-11-23", views: 9 },
      ],
      actions: [
        { action: "view", events: 9 },
        { action: "complete", events: 3 },
        { action: "login", events: 2 },
      ],
      topPages: [
        { path: "/", views: 5 },
        { path: "/todos", views: 3 },
      ],
      pagesViewed: 3,
      recentActivity: [{ id: "e1", time: "2026-11-23T10:00:00.000Z", action: "view", what: "/todos" }],
    });
    // Every statement prepared, one partition each; the activity read is bounded.
    expect(calls.every((c) => c.prepare)).toBe(true);
    expect(calls.find((c) => c.query === ANALYTICS_CQL.recentActivity)?.params).toEqual(["ada@example.com", 20]);
  });
});
