/**
 * The analytics dashboard's reads (issue #3), on the query-first tables of
 * kafka/cassandra/003-interactions-by-user.cql and 005-analytics.cql. Every statement is
 * prepared and names a whole partition key; README.md ("CQL analytics queries") shows the same
 * statements with literal values.
 *
 * NOTE: takes the client as an argument (no Next imports), so the benchmark
 * (bench/analytics-dashboard.ts) times exactly these functions.
 */

/** What these reads need of a cassandra-driver Client. */
export interface CqlReader {
  execute(query: string, params: unknown[], options: { prepare: boolean; fetchSize?: number }): Promise<{ rows: CqlRow[] }>;
}
interface CqlRow {
  get(column: string): unknown;
}

export const ANALYTICS_CQL = {
  /** (b) Events per action of a day, summed over the projector's per-partition rows. */
  actionCounts: "SELECT action, SUM(events) AS events FROM taskflow.action_counts_by_day WHERE day = ? GROUP BY action",
  /** (c) Views per path of a day; CQL cannot order by the sum, so the caller sorts. */
  pageViews: "SELECT path, SUM(views) AS views FROM taskflow.page_views_by_day WHERE day = ? GROUP BY path",
  /** (d) A user's newest events. */
  recentActivity: "SELECT time, id, action, what FROM taskflow.interactions_by_user WHERE who = ? LIMIT ?",
} as const;

/** One event in a user's activity list. */
export interface ActivityItem {
  id: string;
  /** ISO 8601, UTC. */
  time: string;
  action: string;
  what: string;
}

export interface PageViews {
  path: string;
  views: number;
}

export interface DashboardData {
  /** The day the breakdown and the top pages are for (`YYYY-MM-DD`, UTC). */
  day: string;
  /** Page views per day, oldest first, ending with `day`. */
  viewsPerDay: { day: string; views: number }[];
  /** Events per action on `day`, most frequent first (actions with no events left out). */
  actions: { action: string; events: number }[];
  /** The most viewed pages on `day`, most viewed first. */
  topPages: PageViews[];
  /** How many distinct pages were viewed on `day`. */
  pagesViewed: number;
  /** The user's newest events, newest first. */
  recentActivity: ActivityItem[];
}

export interface DashboardQuery {
  /** Last day of the range (`YYYY-MM-DD`, UTC). */
  day: string;
  /** Whose recent activity: the `who` of the events (the user's e-mail). */
  who: string;
  /** Days in the views chart. */
  days?: number;
  topPages?: number;
  activityLimit?: number;
}

const PREPARED = { prepare: true } as const;

/** Events per action on `day`. */
export async function readActionCounts(db: CqlReader, day: string): Promise<Map<string, number>> {
  const result = await db.execute(ANALYTICS_CQL.actionCounts, [day], PREPARED);
  return new Map(result.rows.map((row) => [String(row.get("action")), toNumber(row.get("events"))]));
}

/** Every page viewed on `day`, most viewed first (ties by path). */
export async function readPageViews(db: CqlReader, day: string): Promise<PageViews[]> {
  const result = await db.execute(ANALYTICS_CQL.pageViews, [day], { prepare: true, fetchSize: 5_000 });
  return sortPageViews(result.rows.map((row) => ({ path: String(row.get("path")), views: toNumber(row.get("views")) })));
}

/** The newest `limit` events of `who`, newest first. */
export async function readRecentActivity(db: CqlReader, who: string, limit = 20): Promise<ActivityItem[]> {
  const result = await db.execute(ANALYTICS_CQL.recentActivity, [who, limit], PREPARED);
  return result.rows.map((row) => ({
    id: String(row.get("id")),
    time: (row.get("time") as Date).toISOString(),
    action: String(row.get("action")),
    what: String(row.get("what")),
  }));
}

/**
 * Everything the dashboard shows, read concurrently: one single-partition read per day of
 * the range (views and, for `day`, the breakdown), the day's pages, the user's activity.
 */
export async function readDashboard(db: CqlReader, query: DashboardQuery): Promise<DashboardData> {
  const days = daysEndingWith(query.day, query.days ?? 14);
  const [countsPerDay, pages, recentActivity] = await Promise.all([
    Promise.all(days.map((day) => readActionCounts(db, day))),
    readPageViews(db, query.day),
    readRecentActivity(db, query.who, query.activityLimit ?? 20),
  ]);
  const dayCounts = countsPerDay[countsPerDay.length - 1] ?? new Map<string, number>();
  return {
    day: query.day,
    viewsPerDay: days.map((day, i) => ({ day, views: countsPerDay[i]?.get("view") ?? 0 })),
    actions: [...dayCounts]
      .filter(([, events]) => events > 0)
      .map(([action, events]) => ({ action, events }))
      .sort((a, b) => b.events - a.events || a.action.localeCompare(b.action)),
    topPages: pages.slice(0, query.topPages ?? 10),
    pagesViewed: pages.length,
    recentActivity,
  };
}

/** Most viewed first; equal views by path, so the order is stable. */
export function sortPageViews(pages: PageViews[]): PageViews[] {
  return [...pages].sort((a, b) => b.views - a.views || a.path.localeCompare(b.path));
}

/** The `count` UTC days ending with `lastDay`, oldest first. */
export function daysEndingWith(lastDay: string, count: number): string[] {
  const end = Date.parse(`${lastDay}T00:00:00.000Z`);
  if (Number.isNaN(end)) throw new RangeError(`not a day: ${lastDay}`);
  return Array.from({ length: count }, (_, i) => new Date(end - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

/** Today's UTC day, `YYYY-MM-DD`. */
export function utcToday(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** cassandra-driver returns bigint sums as Long. */
function toNumber(value: unknown): number {
  if (value == null) return 0;
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  return (value as { toNumber(): number }).toNumber();
}
