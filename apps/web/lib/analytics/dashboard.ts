import { z } from "zod";
import { getCassandra } from "../cassandra/server";
import { readDashboard, readRecentActivity, utcToday, type ActivityItem, type DashboardData } from "./queries";

/** Days in the "views per day" chart. */
export const DASHBOARD_DAYS = 14;
/** Rows in the top pages table. */
export const TOP_PAGES = 10;
/** Events in the recent activity list (the first page of interactions_by_user). */
export const RECENT_ACTIVITY_LIMIT = 20;

/**
 * The dashboard's data for the user whose events have `who` (their e-mail), for the UTC
 * day `day`, on the server's one Cassandra client. Throws DatabaseUnavailableError while
 * Cassandra is not connected (the page's error boundary shows it).
 */
export function loadDashboard(who: string, day: string): Promise<DashboardData> {
  return readDashboard(getCassandra(), { day, who, days: DASHBOARD_DAYS, topPages: TOP_PAGES, activityLimit: RECENT_ACTIVITY_LIMIT });
}

/** The user's newest events, for the live list. */
export function loadRecentActivity(who: string): Promise<ActivityItem[]> {
  return readRecentActivity(getCassandra(), who, RECENT_ACTIVITY_LIMIT);
}

const daySchema = z.iso.date();

/** The `?day=YYYY-MM-DD` search parameter, or today (UTC) when it is missing or not a date. */
export function dashboardDay(param: string | string[] | undefined, now = new Date()): string {
  const parsed = daySchema.safeParse(Array.isArray(param) ? param[0] : param);
  return parsed.success ? parsed.data : utcToday(now);
}
