import type { Logger } from "@taskflow/kafka";
import { advanceRun, type RunAdvance, type RunEventInput } from "./run-projection.ts";
import type { RunProjectionStore } from "./run-status-store.ts";

/** How {@link settleRun} waits for a gap to fill, and how it learns it should stop. */
export interface SettleContext {
  /** Longest wait for the event store to hold the missing events before folding without them. */
  gapWaitMs: number;
  /** Pause between two reads of the event store while waiting. */
  pollMs: number;
  /** False once the consumer is stopping (or the batch is stale): give up without writing. */
  isRunning: () => boolean;
  /** Keeps the consumer's group membership alive while waiting. */
  heartbeat: () => Promise<void>;
  logger: Logger;
  /** Waits `ms`; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

/** What happened to one run's events of a chunk. */
export interface RunSettlement {
  applied: number;
  duplicates: number;
  fromStore: number;
  /** The event store was read because an event arrived before an earlier one. */
  gapWaited: boolean;
  /** The gap did not fill in time and the run was folded without the missing events. */
  gapSkipped: boolean;
  written: boolean;
}

/**
 * Folds one run's newly consumed `events` into its stored row and writes the row, once.
 *
 * Events are applied in seq order and only above the row's lastSeq, so a redelivered
 * event changes nothing. TRICKY: a run's events share a partition (keyed by run id), but
 * a later event can still come first (e.g. a worker re-publishing a step after another
 * one moved the run on). The missing events then are, or soon will be, in the event store:
 * Connect consumes the topic on its own and writes every event. So the run waits (bounded)
 * for the event store to hold them, folds them in order, and only then writes. If they
 * never come (a record Connect dead-lettered), the run is folded without them after
 * `gapWaitMs` and an error is logged; a rebuild repairs the row if they turn up.
 *
 * Resolves null when the consumer started stopping during the wait: nothing is written,
 * and the records (left unresolved) are delivered again.
 */
export async function settleRun(store: RunProjectionStore, runId: string, events: readonly RunEventInput[], context: SettleContext): Promise<RunSettlement | null> {
  const sleep = context.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const stored = await store.loadRow(runId);
  const storedLastSeq = stored?.lastSeq ?? 0;
  let advance: RunAdvance = advanceRun(stored, events);
  let fromStore: readonly RunEventInput[] = [];
  let gapWaited = false;
  let gapSkipped = false;
  const deadline = Date.now() + context.gapWaitMs;
  while (advance.gap) {
    gapWaited = true;
    // Everything after the stored row up to the last event in hand, read afresh each time
    // (Connect may have written more since the last read).
    fromStore = await store.readEvents(runId, storedLastSeq, advance.gap.throughSeq);
    // The in-hand events first: of two events with one seq, the fold keeps the first.
    const merged = [...events, ...fromStore];
    advance = advanceRun(stored, merged);
    if (!advance.gap) break;
    if (Date.now() >= deadline) {
      context.logger.error("events missing from the event store; folding the run without them", { runId, ...advance.gap, waitedMs: context.gapWaitMs });
      advance = advanceRun(stored, merged, { allowGaps: true });
      gapSkipped = true;
      break;
    }
    if (!context.isRunning()) return null;
    await sleep(context.pollMs);
    await context.heartbeat();
  }
  const inHandSeqs = new Set(events.map((event) => event.seq));
  const lastSeq = advance.row?.lastSeq ?? 0;
  const appliedFromStore = new Set(fromStore.filter((e) => !inHandSeqs.has(e.seq) && e.seq > storedLastSeq && e.seq <= lastSeq).map((e) => e.seq)).size;
  const written = advance.applied > 0 && advance.row !== null;
  if (written) await store.writeRow(advance.row!);
  return {
    applied: advance.applied,
    duplicates: events.length - (advance.applied - appliedFromStore),
    fromStore: appliedFromStore,
    gapWaited,
    gapSkipped,
    written,
  };
}
