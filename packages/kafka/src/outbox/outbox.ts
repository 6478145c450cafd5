/**
 * The contract of a durable outbox: an append-only log of JSON values with one
 * reader, the relay, that sends what it reads and then commits a cursor past it.
 * `FileOutbox` is the durable one (segment files on local disk); `MemoryOutbox`
 * keeps the same contract in memory for tests.
 */

/** A place in the log: a segment and a byte (or record) offset within it. */
export interface OutboxPosition {
  readonly segment: number;
  readonly offset: number;
}

/** One line read back: a parsed value, or a line that is not JSON (bit rot, a bug). */
export type OutboxEntry =
  | { kind: "record"; value: unknown; /** The position just after this line. */ end: OutboxPosition }
  | { kind: "corrupt"; /** The line's text, cut to 500 characters. */ raw: string; end: OutboxPosition };

export interface OutboxReadResult {
  entries: OutboxEntry[];
  /** Where the next read starts: after the last entry and any torn tail skipped on the way. */
  next: OutboxPosition;
}

/** How much waits to be relayed, for logs and health. */
export interface OutboxDepth {
  /** Records after the cursor (lines written and not yet committed past). */
  records: number;
  /** Bytes on disk that are not yet committed past. */
  bytes: number;
  /** Segment files on disk. */
  segments: number;
}

export interface Outbox {
  /**
   * Appends one JSON value; resolves once it is durable (written and fsynced).
   * Rejects with `OutboxFullError`, `OutboxClosedError`, `OutboxRecordTooLargeError`
   * or the file system's error; a rejected value may still have been written.
   */
  append(value: unknown): Promise<void>;
  /** Up to `maxRecords` entries from `from` on, in append order. Never returns a partly written line. */
  read(from: OutboxPosition, limit: { maxRecords: number }): Promise<OutboxReadResult>;
  /** Where the relay resumes after a restart: everything before it was delivered. */
  readonly cursor: OutboxPosition;
  /**
   * Moves the cursor to `to`, past `records` lines, once they were delivered; deletes
   * segments left behind and saves the cursor in the background (a cursor lost in a
   * crash only means those records are sent again).
   */
  commit(to: OutboxPosition, records: number): void;
  /** Keeps a line the relay could not use (not JSON, not a valid record) for a person to look at. */
  quarantine(raw: string, reason: string): Promise<void>;
  depth(): OutboxDepth;
  /** Called after each batch of appends reaches the file (before fsync); returns an unsubscribe function. */
  onWritten(listener: () => void): () => void;
  /** Waits for queued appends, saves the cursor, releases the directory; later appends reject. Idempotent. */
  close(): Promise<void>;
}

/** Orders positions: negative when `a` comes before `b`. */
export function comparePositions(a: OutboxPosition, b: OutboxPosition): number {
  return a.segment === b.segment ? a.offset - b.offset : a.segment - b.segment;
}

/** Base class of the outbox's errors. */
export class OutboxError extends Error {
  // NOTE: literal names, as in errors.ts: bundlers minify class names.
  override name = "OutboxError";
}

/** The outbox holds `maxBytes` already; the value was not stored. */
export class OutboxFullError extends OutboxError {
  override name = "OutboxFullError";
  constructor(readonly maxBytes: number) {
    super(`the outbox is full (${maxBytes} bytes); the value was not stored`);
  }
}

/** `close()` was called; nothing more is stored. */
export class OutboxClosedError extends OutboxError {
  override name = "OutboxClosedError";
  constructor() {
    super("the outbox is closed");
  }
}

/** One value serializes to more than the outbox accepts per record. */
export class OutboxRecordTooLargeError extends OutboxError {
  override name = "OutboxRecordTooLargeError";
  constructor(readonly bytes: number, readonly maxBytes: number) {
    super(`an outbox record of ${bytes} bytes exceeds the ${maxBytes}-byte limit`);
  }
}

/** Another live process (or this one) has the directory open. */
export class OutboxLockedError extends OutboxError {
  override name = "OutboxLockedError";
  constructor(readonly dir: string, readonly holder: string) {
    super(`the outbox ${dir} is in use by process ${holder}; two servers must not share one outbox directory`);
  }
}
