"use client";

import { useEffect, useState } from "react";
import type { ActivityItem } from "../../lib/analytics/queries";
import { actionColor } from "./action-colors";
import { formatDateTime } from "./format";
import styles from "./analytics.module.css";

/** How often the list asks the server for the user's newest events. */
export const REFRESH_MS = 4_000;

type Freshness = "live" | "stale" | "signed-out";

function isActivityList(value: unknown): value is { items: ActivityItem[] } {
  const items = (value as { items?: unknown } | null)?.items;
  return (
    Array.isArray(items) &&
    items.every((i: Record<string, unknown>) => ["id", "time", "action", "what"].every((key) => typeof i?.[key] === "string"))
  );
}

/**
 * The logged-in user's newest events, refreshed every few seconds from
 * `/analytics/recent-activity` while the tab is visible (new events arrive through
 * Kafka and Connect within a second or so).
 */
export function RecentActivity({ initial }: { initial: ActivityItem[] }) {
  const [items, setItems] = useState(initial);
  const [freshness, setFreshness] = useState<Freshness>("live");

  useEffect(() => {
    if (freshness === "signed-out") return;
    let cancelled = false;
    const refresh = async () => {
      if (document.visibilityState === "hidden") return;
      try {
        const response = await fetch("/analytics/recent-activity", { cache: "no-store", headers: { accept: "application/json" } });
        if (cancelled) return;
        if (response.status === 401) return setFreshness("signed-out");
        const body: unknown = response.ok ? await response.json() : null;
        if (cancelled) return;
        if (!isActivityList(body)) return setFreshness("stale");
        setItems(body.items);
        setFreshness("live");
      } catch {
        if (!cancelled) setFreshness("stale");
      }
    };
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [freshness]);

  return (
    <>
      <p className={styles.summary} data-testid="recent-activity-status" data-freshness={freshness}>
        {freshness === "live" && `Live: refreshes every ${REFRESH_MS / 1000} seconds.`}
        {freshness === "stale" && "Could not refresh just now; showing the last events received."}
        {freshness === "signed-out" && "Your session ended; log in again to see new activity."}
      </p>
      {items.length === 0 ? <p className={styles.empty}>No activity yet. Open a few pages and it shows up here.</p> : null}
      <ol className={styles.activity} data-testid="recent-activity" aria-label="Your recent activity">
        {items.map((item) => (
          <li key={item.id} className={styles.activityItem}>
            <span className={styles.actionBadge} style={{ background: actionColor(item.action) }}>
              {item.action}
            </span>
            <span className={styles.what}>{item.what}</span>
            <time className={styles.time} dateTime={item.time}>
              {formatDateTime(item.time)}
            </time>
          </li>
        ))}
      </ol>
    </>
  );
}
