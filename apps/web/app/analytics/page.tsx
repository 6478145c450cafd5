import type { Metadata } from "next";
import Link from "next/link";
import { dashboardDay, DASHBOARD_DAYS, loadDashboard } from "../../lib/analytics/dashboard";
import { utcToday } from "../../lib/analytics/queries";
import { requireUser } from "../../lib/auth/current-user";
import { ActionsChart } from "./actions-chart";
import styles from "./analytics.module.css";
import { formatCount, formatDay, formatLongDay, shiftDay } from "./format";
import { RecentActivity } from "./recent-activity";
import { ViewsChart } from "./views-chart";

export const metadata: Metadata = { title: "Analytics" };

/**
 * The analytics dashboard (logged-in users): page views over two weeks, the actions and
 * the top pages of one UTC day (`?day=YYYY-MM-DD`, default today), and the user's own
 * activity, live. Every number comes from a query-first table (docs/analytics-queries.md).
 */
export default async function AnalyticsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser();
  const day = dashboardDay((await searchParams).day);
  const data = await loadDashboard(user.email, day);

  const today = utcToday();
  const totalViews = data.viewsPerDay.reduce((sum, point) => sum + point.views, 0);
  const busiest = data.viewsPerDay.reduce((best, point) => (point.views > best.views ? point : best), data.viewsPerDay[0]!);
  const dayEvents = data.actions.reduce((sum, entry) => sum + entry.events, 0);
  const dayViews = data.viewsPerDay[data.viewsPerDay.length - 1]?.views ?? 0;
  const topViews = data.topPages[0]?.views ?? 0;

  return (
    <div className={styles.dashboard}>
      <header className={styles.header}>
        <h1>Analytics</h1>
        <nav className={styles.dayNav} aria-label="Day">
          <Link href={`/analytics?day=${shiftDay(day, -1)}`}>← {formatDay(shiftDay(day, -1))}</Link>
          <strong data-testid="analytics-day">{formatLongDay(day)} (UTC)</strong>
          {day < today ? <Link href={`/analytics?day=${shiftDay(day, 1)}`}>{formatDay(shiftDay(day, 1))} →</Link> : null}
          {day !== today ? <Link href="/analytics">Today</Link> : null}
        </nav>
      </header>

      <section className={styles.card} aria-labelledby="views-heading">
        <h2 id="views-heading">Page views, last {DASHBOARD_DAYS} days</h2>
        <p className={styles.summary}>
          <span className={styles.bigNumber}>{formatCount(totalViews)}</span> views
          {totalViews > 0 ? ` · busiest ${formatDay(busiest.day)} with ${formatCount(busiest.views)}` : ""}
        </p>
        <ViewsChart data={data.viewsPerDay.map((point) => ({ ...point, label: formatDay(point.day) }))} selectedDay={day} />
      </section>

      <div className={styles.grid}>
        <section className={styles.card} aria-labelledby="actions-heading">
          <h2 id="actions-heading">Actions on {formatDay(day)}</h2>
          <p className={styles.summary}>
            <span className={styles.bigNumber}>{formatCount(dayEvents)}</span> events
          </p>
          {data.actions.length > 0 ? <ActionsChart data={data.actions} /> : <p className={styles.empty}>No events on this day.</p>}
        </section>

        <section className={styles.card} aria-labelledby="pages-heading">
          <h2 id="pages-heading">Top pages on {formatDay(day)}</h2>
          <p className={styles.summary}>
            <span className={styles.bigNumber}>{formatCount(dayViews)}</span> views of {formatCount(data.pagesViewed)} pages
          </p>
          {data.topPages.length > 0 ? (
            <table className={styles.pages} data-testid="top-pages">
              <thead>
                <tr>
                  <th className={styles.rank}>#</th>
                  <th>Page</th>
                  <th className={styles.num}>Views</th>
                  <th className={styles.share}>
                    <span className={styles.visuallyHidden}>Share</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.topPages.map((entry, index) => (
                  <tr key={entry.path}>
                    <td className={styles.rank}>{index + 1}</td>
                    <td className={styles.path}>{entry.path}</td>
                    <td className={styles.num}>{formatCount(entry.views)}</td>
                    <td className={styles.share} aria-hidden="true">
                      <span className={styles.shareBar} style={{ width: `${Math.max(2, (entry.views / topViews) * 100)}%` }} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className={styles.empty}>No page views on this day.</p>
          )}
        </section>
      </div>

      <section className={styles.card} aria-labelledby="activity-heading">
        <h2 id="activity-heading">Your recent activity</h2>
        <RecentActivity initial={data.recentActivity} />
      </section>
    </div>
  );
}
