"use client";

import { useEffect, useState } from "react";

export type Freshness = "live" | "stale" | "signed-out" | "done";

/**
 * Polls `url` every `intervalMs` while the tab is visible and `active` holds,
 * keeping the last good answer (`accept` checks its shape).
 */
export function usePoll<T>(url: string, initial: T, accept: (body: unknown) => body is T, intervalMs: number, active: (value: T) => boolean) {
  const [value, setValue] = useState(initial);
  const [freshness, setFreshness] = useState<Freshness>("live");
  const running = active(value);

  useEffect(() => {
    if (!running || freshness === "signed-out") return;
    let cancelled = false;
    const refresh = async () => {
      if (document.visibilityState === "hidden") return;
      try {
        const response = await fetch(url, { cache: "no-store", headers: { accept: "application/json" } });
        if (cancelled) return;
        if (response.status === 401) return setFreshness("signed-out");
        const body: unknown = response.ok ? await response.json() : null;
        if (cancelled) return;
        if (!accept(body)) return setFreshness("stale");
        setValue(body);
        setFreshness("live");
      } catch {
        if (!cancelled) setFreshness("stale");
      }
    };
    const timer = setInterval(() => void refresh(), intervalMs);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [url, accept, intervalMs, running, freshness]);

  return { value, freshness: running ? freshness : ("done" as Freshness) };
}
