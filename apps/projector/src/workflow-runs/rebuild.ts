import type cassandra from "cassandra-driver";
import { z } from "zod";
import { projectRun } from "./run-projection.ts";
import { CassandraRunProjectionStore } from "./run-status-store.ts";
import { mapWithConcurrency } from "./concurrency.ts";

/** Days the rebuild looks back by default, today included. */
export const DEFAULT_REBUILD_DAYS = 30;
/** Runs read and written at once. */
const REBUILD_CONCURRENCY = 16;
const DAY_MS = 86_400_000;

export interface RebuildOptions {
  /** First UTC day (`YYYY-MM-DD`) whose events name the runs to rebuild. */
  since: string;
  /** Last UTC day scanned (default: tomorrow, for events stamped by a clock running ahead). */
  until?: string;
  /** Called once per day scanned, e.g. for progress lines. */
  onDay?: (day: string, runsSoFar: number) => void;
}

/** What a rebuild did. */
export interface RebuildReport {
  since: string;
  until: string;
  days: number;
  /** Distinct runs with an event in the range, each folded and written. */
  runs: number;
  /** Events folded (each run's whole history, from workflow_events_by_run). */
  events: number;
  /** Rows of workflow_events_by_day scanned to find the runs. */
  dayRowsScanned: number;
  ms: number;
}

/**
 * Rebuilds the run projection from the event store alone: TRUNCATEs workflow_run_status
 * and workflow_runs_by_day, finds the run ids with an event on each day of the range
 * (workflow_events_by_day), reads each run's whole history (workflow_events_by_run, in
 * seq order), folds it with the same `projectRun` as the live projection and writes the
 * rows. A run whose events all precede `since` is not rebuilt.
 *
 * NOTE: safe while a live projector runs: every row write carries USING TIMESTAMP
 * <last_seq> (kafka/cassandra/008-workflow-run-projection.cql), so whichever of the two
 * folded more events wins, in any order.
 */
export async function rebuildRunProjection(client: cassandra.Client, options: RebuildOptions): Promise<RebuildReport> {
  const started = performance.now();
  const until = options.until ?? addDays(utcToday(), 1);
  const days = daysBetween(options.since, until);
  const store = new CassandraRunProjectionStore(client);
  await store.truncate();

  const runIds = new Set<string>();
  let dayRowsScanned = 0;
  for (const day of days) {
    dayRowsScanned += await store.runIdsOfDay(day, runIds);
    options.onDay?.(day, runIds.size);
  }

  let events = 0;
  await mapWithConcurrency([...runIds], REBUILD_CONCURRENCY, async (runId) => {
    const history = await store.readAllEvents(runId);
    const row = projectRun(history);
    events += history.length;
    if (row) await store.writeRow(row);
  });
  return { since: options.since, until, days: days.length, runs: runIds.size, events, dayRowsScanned, ms: Math.round(performance.now() - started) };
}

const isoDay = z.iso.date();

/** The rebuild command's arguments: `[--since YYYY-MM-DD]` (default: the last 30 days, today included). */
export function parseRebuildArgs(argv: readonly string[], today = utcToday()): { since: string } {
  let since = addDays(today, -(DEFAULT_REBUILD_DAYS - 1));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const inline = arg.startsWith("--since=") ? arg.slice("--since=".length) : undefined;
    if (arg === "--since" || inline !== undefined) {
      const value = inline ?? argv[++i];
      const parsed = isoDay.safeParse(value);
      if (!parsed.success) throw new Error(`--since wants a UTC day as YYYY-MM-DD, got ${value === undefined ? "nothing" : JSON.stringify(value)}`);
      if (parsed.data > today) throw new Error(`--since ${parsed.data} is after today (${today})`);
      since = parsed.data;
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)}; usage: rebuild:runs [--since YYYY-MM-DD]`);
    }
  }
  return { since };
}

/** Every UTC day from `first` to `last`, both included (`YYYY-MM-DD`). */
export function daysBetween(first: string, last: string): string[] {
  const days: string[] = [];
  for (let day = first; day <= last; day = addDays(day, 1)) days.push(day);
  return days;
}

/** `day` (`YYYY-MM-DD`) moved by `n` UTC days. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

export function utcToday(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}
