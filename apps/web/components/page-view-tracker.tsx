"use client";

import { usePathname } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { trackPageView } from "../lib/actions/tracking/track-page-view";

interface LastView {
  path: string;
  eventId: string;
  delivered: boolean;
}

/**
 * Tracks one page view per path change (the root layout renders it once, so
 * client-side navigation keeps the same instance and the ref guard holds).
 *
 * The hidden marker carries the last event id the server returned, so a browser
 * test can find that exact row in Cassandra; it shows nothing to users.
 */
export function PageViewTracker() {
  const pathname = usePathname();
  const lastTrackedPath = useRef<string | null>(null);
  const [lastView, setLastView] = useState<LastView | null>(null);

  useEffect(() => {
    if (!pathname || pathname === lastTrackedPath.current) return;
    lastTrackedPath.current = pathname;
    trackPageView({ path: pathname })
      .then((result) => {
        if (result.ok) setLastView({ path: pathname, eventId: result.eventId, delivered: result.delivered });
      })
      // Tracking must never break the page: a failed action call is dropped here
      // (the server logs its side with the event id).
      .catch(() => undefined);
  }, [pathname]);

  return (
    <span
      hidden
      data-testid="page-view-tracker"
      data-last-event-id={lastView?.eventId ?? ""}
      data-last-path={lastView?.path ?? ""}
      data-delivered={lastView ? String(lastView.delivered) : ""}
    />
  );
}
