/**
 * Date formatting for the dashboard, always in UTC (the days of the analytics tables) and
 * without the runtime's locale data, so the server's HTML and the browser's render agree.
 */
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function parseDay(day: string): Date {
  return new Date(`${day}T00:00:00.000Z`);
}

/** `2026-11-23` → `Nov 23`. */
export function formatDay(day: string): string {
  const date = parseDay(day);
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}`;
}

/** `2026-11-23` → `Mon, Nov 23, 2026`. */
export function formatLongDay(day: string): string {
  const date = parseDay(day);
  return `${WEEKDAYS[date.getUTCDay()]}, ${formatDay(day)}, ${date.getUTCFullYear()}`;
}

/** An ISO timestamp → `Nov 23, 09:05:12` (UTC). */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.toISOString().slice(11, 19)}`;
}

/** The day `offset` days after `day`. */
export function shiftDay(day: string, offset: number): string {
  return new Date(parseDay(day).getTime() + offset * 86_400_000).toISOString().slice(0, 10);
}

/** 1234567 → `1,234,567`. */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
