import { silentLogger, type Logger } from "../logger.ts";
import { comparePositions, OutboxClosedError, OutboxFullError, type Outbox, type OutboxDepth, type OutboxPosition, type OutboxReadResult } from "./outbox.ts";

/**
 * The outbox contract in memory: survives a Kafka outage, not a restart.
 * For tests and for callers that construct a TrackingService without a directory;
 * production passes a `FileOutbox`.
 */
export class MemoryOutbox implements Outbox {
  readonly #maxRecords: number;
  readonly #logger: Logger;
  /** Values from `#base` on; positions are `{ segment: 0, offset: index }`. */
  #values: unknown[] = [];
  #base = 0;
  #cursor: OutboxPosition = { segment: 0, offset: 0 };
  readonly #listeners = new Set<() => void>();
  readonly quarantined: { raw: string; reason: string }[] = [];
  #closed = false;

  constructor(options: { maxRecords?: number; logger?: Logger } = {}) {
    this.#maxRecords = options.maxRecords ?? 100_000;
    this.#logger = options.logger ?? silentLogger;
  }

  get cursor(): OutboxPosition {
    return this.#cursor;
  }

  depth(): OutboxDepth {
    const records = this.#base + this.#values.length - this.#cursor.offset;
    return { records, bytes: 0, segments: records > 0 ? 1 : 0 };
  }

  async append(value: unknown): Promise<void> {
    if (this.#closed) throw new OutboxClosedError();
    if (this.depth().records >= this.#maxRecords) throw new OutboxFullError(this.#maxRecords);
    // A copy through JSON, as the file outbox stores it (a Date becomes a string).
    this.#values.push(JSON.parse(JSON.stringify(value)) as unknown);
    for (const listener of this.#listeners) listener();
  }

  async read(from: OutboxPosition, limit: { maxRecords: number }): Promise<OutboxReadResult> {
    const start = Math.max(from.offset, this.#base);
    const values = this.#values.slice(start - this.#base, start - this.#base + limit.maxRecords);
    const entries = values.map((value, i) => ({ kind: "record" as const, value, end: { segment: 0, offset: start + i + 1 } }));
    return { entries, next: { segment: 0, offset: start + values.length } };
  }

  commit(to: OutboxPosition, _records: number): void {
    if (comparePositions(to, this.#cursor) <= 0) return;
    this.#cursor = to;
    this.#values = this.#values.slice(to.offset - this.#base);
    this.#base = to.offset;
  }

  async quarantine(raw: string, reason: string): Promise<void> {
    this.quarantined.push({ raw, reason });
    this.#logger.error("outbox record quarantined", { reason, raw: raw.slice(0, 500) });
  }

  onWritten(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
  }
}
