import { readFileSync } from "node:fs";
import { appendFile, mkdir, open, readdir, readFile, rename, stat, unlink, writeFile, type FileHandle } from "node:fs/promises";
import { join, resolve } from "node:path";
import { silentLogger, type Logger } from "../logger.ts";
import {
  comparePositions,
  OutboxClosedError,
  OutboxFullError,
  OutboxLockedError,
  OutboxRecordTooLargeError,
  type Outbox,
  type OutboxDepth,
  type OutboxEntry,
  type OutboxPosition,
  type OutboxReadResult,
} from "./outbox.ts";

/** Default bound of the outbox on disk: ~1M interaction events. */
export const DEFAULT_OUTBOX_MAX_BYTES = 256 * 1024 * 1024;
/** Default size past which a new segment file is started. */
export const DEFAULT_OUTBOX_SEGMENT_BYTES = 4 * 1024 * 1024;
/** Longest record (one JSON line) accepted. */
export const MAX_OUTBOX_RECORD_BYTES = 64 * 1024;
// Larger than any record, so a read chunk always holds at least one whole line.
const READ_CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

const SEGMENT_FILE = /^segment-(\d{12})\.jsonl$/;
const segmentFile = (seq: number) => `segment-${String(seq).padStart(12, "0")}.jsonl`;
const CURSOR_FILE = "cursor.json";
const LOCK_FILE = "lock";
const QUARANTINE_FILE = "quarantine.jsonl";
const FULL_LOG_INTERVAL_MS = 10_000;

export interface FileOutboxOptions {
  /** The outbox's folder (created if missing): segments, cursor, lock, quarantine. */
  dir: string;
  /** Appends are refused with `OutboxFullError` beyond this many bytes on disk. */
  maxBytes?: number;
  /** A new segment file is started once the current one would grow past this. */
  segmentBytes?: number;
  logger?: Logger;
}

interface Segment {
  readonly seq: number;
  /** Bytes whose write completed: the reader never reads past it. */
  size: number;
}

interface QueuedAppend {
  line: Buffer;
  resolve: () => void;
  reject: (error: unknown) => void;
}

// TRICKY: Next bundles instrumentation and routes apart, so module state can exist
// twice; the set of directories open in this process lives on globalThis.
const OPEN_DIRS = Symbol.for("taskflow.kafka.outbox.openDirs");
function openDirs(): Set<string> {
  const slot = globalThis as { [OPEN_DIRS]?: Set<string> };
  return (slot[OPEN_DIRS] ??= new Set());
}

/**
 * A durable, append-only outbox on local disk.
 *
 * Layout: `segment-<seq>.jsonl` files of JSON lines, `cursor.json` (the relay's
 * committed position), `lock` (pid and start time of the owning process) and
 * `quarantine.jsonl` (lines the relay could not use).
 *
 * - Appends are group-committed: appends that arrive while a write+fsync is under
 *   way are written and fsynced together, and each resolves only when its bytes are
 *   durable. One writer (this object) keeps lines whole and in order.
 * - Every process appends to a new segment: a line torn by a crash can only be the
 *   last one of a segment nobody writes to any more, and the reader skips it with a
 *   warning instead of blocking on it.
 * - Segments the cursor has passed are deleted. The cursor is saved with an atomic
 *   rename but not fsynced: after a power cut it may fall back, which only re-sends
 *   records (consumers are idempotent by event id); it never skips one.
 */
export class FileOutbox implements Outbox {
  readonly dir: string;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #logger: Logger;
  /** Oldest first; the last one is the active segment while `#active` is set. */
  readonly #segments: Segment[];
  #active: { segment: Segment; handle: FileHandle } | undefined;
  #cursor: OutboxPosition;
  #pendingRecords: number;
  #totalBytes: number;
  readonly #queue: QueuedAppend[] = [];
  #queuedBytes = 0;
  #flushing: Promise<void> | undefined;
  #reader: { seq: number; handle: FileHandle } | undefined;
  #readerLock: Promise<unknown> = Promise.resolve();
  #cursorSaving: Promise<void> | undefined;
  #cursorDirty = false;
  readonly #tornWarned = new Set<number>();
  readonly #listeners = new Set<() => void>();
  #fullLoggedAt = 0;
  #refusedSinceLog = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(init: {
    dir: string;
    options: FileOutboxOptions;
    segments: Segment[];
    cursor: OutboxPosition;
    pendingRecords: number;
    active: { segment: Segment; handle: FileHandle };
  }) {
    this.dir = init.dir;
    this.#maxBytes = init.options.maxBytes ?? DEFAULT_OUTBOX_MAX_BYTES;
    this.#segmentBytes = init.options.segmentBytes ?? DEFAULT_OUTBOX_SEGMENT_BYTES;
    this.#logger = init.options.logger ?? silentLogger;
    this.#segments = init.segments;
    this.#cursor = init.cursor;
    this.#pendingRecords = init.pendingRecords;
    this.#active = init.active;
    this.#totalBytes = init.segments.reduce((sum, s) => sum + s.size, 0);
  }

  /**
   * Opens (or creates) the outbox in `options.dir`: takes the directory's lock,
   * reads the cursor, drops segments already relayed, counts what is left, and
   * starts a new segment for this process's appends.
   * Rejects with `OutboxLockedError` when another live process holds the directory.
   */
  static async open(options: FileOutboxOptions): Promise<FileOutbox> {
    const dir = resolve(options.dir);
    const logger = options.logger ?? silentLogger;
    await mkdir(dir, { recursive: true });
    await acquireLock(dir, logger);
    try {
      await unlink(join(dir, `${CURSOR_FILE}.tmp`)).catch(() => undefined);
      let cursor = await readCursor(dir, logger);

      const segments: Segment[] = [];
      for (const name of (await readdir(dir)).sort()) {
        const match = SEGMENT_FILE.exec(name);
        if (!match) continue;
        const seq = Number(match[1]);
        const { size } = await stat(join(dir, name));
        // Relayed already (a crash came between the cursor's save and the deletion),
        // or empty (a process that appended nothing): neither holds anything to send.
        if (seq < cursor.segment || size === 0) {
          await unlink(join(dir, name));
          continue;
        }
        segments.push({ seq, size });
      }

      const seq = Math.max(cursor.segment, segments.at(-1)?.seq ?? 0) + 1;
      const handle = await open(join(dir, segmentFile(seq)), "ax");
      await syncDirectory(dir);
      const active: Segment = { seq, size: 0 };
      segments.push(active);

      const first = segments.find((s) => s.seq >= cursor.segment)!;
      if (first.seq !== cursor.segment) cursor = { segment: first.seq, offset: 0 };
      if (cursor.offset > first.size) {
        // The records up to the saved cursor were acknowledged, but their bytes did
        // not survive (a power cut before fsync): nothing is left to send there.
        logger.warn("outbox cursor is past the end of its segment; continuing from the end", { dir, cursor, size: first.size });
        cursor = { segment: first.seq, offset: first.size };
      }

      let pendingRecords = 0;
      for (const segment of segments) {
        if (segment.seq < cursor.segment || segment === active) continue;
        const from = segment.seq === cursor.segment ? cursor.offset : 0;
        const { lines, torn } = await countLines(join(dir, segmentFile(segment.seq)), from);
        pendingRecords += lines;
        if (torn) logger.warn("outbox segment ends with a torn record (a crash during a write); it will be skipped", { dir, segment: segment.seq });
      }

      openDirs().add(dir);
      const outbox = new FileOutbox({ dir, options, segments, cursor, pendingRecords, active: { segment: active, handle } });
      logger.info("outbox opened", { dir, ...outbox.depth(), cursor });
      return outbox;
    } catch (error) {
      await unlink(join(dir, LOCK_FILE)).catch(() => undefined);
      throw error;
    }
  }

  get cursor(): OutboxPosition {
    return this.#cursor;
  }

  depth(): OutboxDepth {
    const cursorSegment = this.#segments.find((s) => s.seq === this.#cursor.segment);
    return {
      records: this.#pendingRecords,
      bytes: this.#totalBytes - (cursorSegment ? this.#cursor.offset : 0),
      segments: this.#segments.length,
    };
  }

  append(value: unknown): Promise<void> {
    if (this.#closed) return Promise.reject(new OutboxClosedError());
    let line: Buffer;
    try {
      line = Buffer.from(`${JSON.stringify(value)}\n`, "utf8");
    } catch (error) {
      return Promise.reject(error);
    }
    if (line.length > MAX_OUTBOX_RECORD_BYTES) return Promise.reject(new OutboxRecordTooLargeError(line.length, MAX_OUTBOX_RECORD_BYTES));
    if (this.#totalBytes + this.#queuedBytes + line.length > this.#maxBytes) {
      this.#logFull();
      return Promise.reject(new OutboxFullError(this.#maxBytes));
    }
    if (this.#fullLoggedAt !== 0) {
      this.#logger.info("outbox accepts records again", { dir: this.dir, refused: this.#refusedSinceLog, ...this.depth() });
      this.#fullLoggedAt = 0;
      this.#refusedSinceLog = 0;
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ line, resolve, reject });
      this.#queuedBytes += line.length;
      this.#startFlush();
    });
  }

  #startFlush(): void {
    if (this.#flushing) return;
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = undefined;
      // TRICKY: an append made by code that resumed on an earlier append's resolve
      // lands after #flush's last look at the queue, but before this runs.
      if (this.#queue.length > 0) this.#startFlush();
    });
  }

  /** Writes queued appends in groups: one write and one fsync per group. */
  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const group = this.#queue.splice(0);
      const data = Buffer.concat(group.map((a) => a.line));
      this.#queuedBytes -= data.length;
      let written = 0;
      try {
        if (!this.#active || (this.#active.segment.size > 0 && this.#active.segment.size + data.length > this.#segmentBytes)) {
          await this.#roll();
        }
        const active = this.#active!;
        while (written < data.length) {
          const { bytesWritten } = await active.handle.write(data, written, data.length - written);
          written += bytesWritten;
        }
        active.segment.size += data.length;
        this.#totalBytes += data.length;
        this.#pendingRecords += group.length;
        this.#notifyWritten();
        await active.handle.datasync();
        for (const a of group) a.resolve();
      } catch (error) {
        this.#logger.error("outbox write failed; starting a new segment", { dir: this.dir, records: group.length, error });
        for (const a of group) a.reject(error);
        // The segment may now end with part of a line: close it (the reader skips a
        // torn tail) and write the next group to a new one.
        const broken = this.#active;
        this.#active = undefined;
        if (broken && written > 0 && written < data.length) {
          broken.segment.size += written;
          this.#totalBytes += written;
        }
        await broken?.handle.close().catch(() => undefined);
      }
    }
  }

  /** Closes the active segment and starts the next one. */
  async #roll(): Promise<void> {
    const previous = this.#active;
    this.#active = undefined;
    await previous?.handle.close();
    const seq = (this.#segments.at(-1)?.seq ?? this.#cursor.segment) + 1;
    const handle = await open(join(this.dir, segmentFile(seq)), "ax");
    await syncDirectory(this.dir);
    const segment: Segment = { seq, size: 0 };
    this.#segments.push(segment);
    this.#active = { segment, handle };
  }

  async read(from: OutboxPosition, limit: { maxRecords: number }): Promise<OutboxReadResult> {
    // One reader handle, used by one read at a time.
    const result = this.#readerLock.then(() => this.#read(from, limit));
    this.#readerLock = result.catch(() => undefined);
    return result;
  }

  async #read(from: OutboxPosition, limit: { maxRecords: number }): Promise<OutboxReadResult> {
    const entries: OutboxEntry[] = [];
    let position = this.#forward(from);
    while (entries.length < limit.maxRecords) {
      const segment = this.#segments.find((s) => s.seq === position.segment);
      if (!segment) break;
      const end = segment.size;
      if (position.offset >= end) {
        const next = this.#forward(position);
        if (next === position) break;
        position = next;
        continue;
      }
      const length = Math.min(end - position.offset, READ_CHUNK_BYTES);
      const chunk = await this.#readAt(segment.seq, position.offset, length);
      let start = 0;
      while (entries.length < limit.maxRecords) {
        const newline = chunk.indexOf(NEWLINE, start);
        if (newline === -1) break;
        entries.push(parseLine(chunk.subarray(start, newline), { segment: segment.seq, offset: position.offset + newline + 1 }));
        start = newline + 1;
      }
      if (start > 0) {
        position = { segment: segment.seq, offset: position.offset + start };
        continue;
      }
      // No newline in the chunk.
      if (position.offset + length >= end && this.#active?.segment !== segment) {
        // A torn last line: the process died during its write, so its append never resolved.
        if (!this.#tornWarned.has(segment.seq)) {
          this.#tornWarned.add(segment.seq);
          this.#logger.warn("outbox skipped a torn record at the end of a segment", { dir: this.dir, segment: segment.seq, offset: position.offset, bytes: end - position.offset });
        }
        position = { segment: segment.seq, offset: end };
        continue;
      }
      if (length === READ_CHUNK_BYTES) {
        // No line is this long: garbage. Hand it out as corrupt and move past it.
        entries.push({ kind: "corrupt", raw: chunk.subarray(0, 500).toString("utf8"), end: { segment: segment.seq, offset: position.offset + length } });
        position = { segment: segment.seq, offset: position.offset + length };
        continue;
      }
      break; // cannot happen for the active segment: its size only grows by whole lines
    }
    return { entries, next: this.#forward(position) };
  }

  /**
   * The same place, moved to the start of the next segment when `position` is at
   * the end of a closed segment (or in one that no longer exists).
   */
  #forward(position: OutboxPosition): OutboxPosition {
    const segment = this.#segments.find((s) => s.seq === position.segment);
    if (segment && (position.offset < segment.size || this.#active?.segment === segment)) return position;
    const next = this.#segments.find((s) => s.seq > position.segment);
    if (!next) return position;
    return this.#forward({ segment: next.seq, offset: 0 });
  }

  async #readAt(seq: number, offset: number, length: number): Promise<Buffer> {
    if (this.#reader?.seq !== seq) {
      await this.#reader?.handle.close().catch(() => undefined);
      this.#reader = undefined;
      this.#reader = { seq, handle: await open(join(this.dir, segmentFile(seq)), "r") };
    }
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.#reader.handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  }

  commit(to: OutboxPosition, records: number): void {
    const target = this.#forward(to);
    if (comparePositions(target, this.#cursor) < 0) return;
    this.#cursor = target;
    this.#pendingRecords = Math.max(0, this.#pendingRecords - records);
    while (this.#segments.length > 0 && this.#segments[0]!.seq < target.segment) {
      const done = this.#segments.shift()!;
      this.#totalBytes -= done.size;
      this.#tornWarned.delete(done.seq);
      unlink(join(this.dir, segmentFile(done.seq))).catch((error: unknown) => this.#logger.warn("outbox could not delete a relayed segment", { dir: this.dir, segment: done.seq, error }));
    }
    this.#saveCursor();
  }

  /** Saves the cursor in the background; writes that pile up are coalesced into one. */
  #saveCursor(): void {
    this.#cursorDirty = true;
    this.#cursorSaving ??= (async () => {
      while (this.#cursorDirty) {
        this.#cursorDirty = false;
        const tmp = join(this.dir, `${CURSOR_FILE}.tmp`);
        await writeFile(tmp, JSON.stringify(this.#cursor));
        await rename(tmp, join(this.dir, CURSOR_FILE));
      }
    })()
      .catch((error: unknown) => this.#logger.warn("outbox cursor not saved (records may be sent again after a restart)", { dir: this.dir, error }))
      .finally(() => (this.#cursorSaving = undefined));
  }

  async quarantine(raw: string, reason: string): Promise<void> {
    const line = `${JSON.stringify({ at: new Date().toISOString(), reason, raw })}\n`;
    await appendFile(join(this.dir, QUARANTINE_FILE), line).catch((error: unknown) =>
      this.#logger.error("outbox could not quarantine a record", { dir: this.dir, reason, raw: raw.slice(0, 500), error }),
    );
  }

  #notifyWritten(): void {
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (error) {
        this.#logger.error("outbox onWritten listener failed", { dir: this.dir, error });
      }
    }
  }

  onWritten(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing) await this.#flushing;
    await this.#readerLock;
    await this.#cursorSaving;
    await this.#reader?.handle.close().catch(() => undefined);
    await this.#active?.handle.close().catch(() => undefined);
    this.#reader = undefined;
    this.#active = undefined;
    this.#listeners.clear();
    openDirs().delete(this.dir);
    await unlink(join(this.dir, LOCK_FILE)).catch(() => undefined);
    this.#logger.info("outbox closed", { dir: this.dir, ...this.depth() });
  }

  /** One error line when the outbox fills up, then one every 10 s while it stays full. */
  #logFull(): void {
    this.#refusedSinceLog++;
    const now = Date.now();
    if (now - this.#fullLoggedAt < FULL_LOG_INTERVAL_MS) return;
    this.#logger.error("outbox full: records are refused and lost until the relay drains it", {
      dir: this.dir,
      maxBytes: this.#maxBytes,
      refused: this.#refusedSinceLog,
      ...this.depth(),
    });
    this.#fullLoggedAt = now;
    this.#refusedSinceLog = 0;
  }
}

function parseLine(bytes: Buffer, end: OutboxPosition): OutboxEntry {
  const text = bytes.toString("utf8");
  try {
    return { kind: "record", value: JSON.parse(text) as unknown, end };
  } catch {
    return { kind: "corrupt", raw: text.slice(0, 500), end };
  }
}

/** Complete lines from `from` to the end of a file, and whether it ends mid-line. */
async function countLines(path: string, from: number): Promise<{ lines: number; torn: boolean }> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(READ_CHUNK_BYTES);
    let lines = 0;
    let last = NEWLINE;
    for (let offset = from; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) lines++;
      last = chunk[bytesRead - 1]!;
      offset += bytesRead;
    }
    return { lines, torn: last !== NEWLINE };
  } finally {
    await handle.close();
  }
}

async function readCursor(dir: string, logger: Logger): Promise<OutboxPosition> {
  let text: string;
  try {
    text = await readFile(join(dir, CURSOR_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { segment: 0, offset: 0 };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as { segment?: unknown; offset?: unknown };
    if (Number.isSafeInteger(parsed.segment) && Number.isSafeInteger(parsed.offset) && (parsed.segment as number) >= 0 && (parsed.offset as number) >= 0) {
      return { segment: parsed.segment as number, offset: parsed.offset as number };
    }
  } catch {
    // handled below
  }
  // Starting over re-sends records, which is harmless; skipping some would not be.
  logger.warn("outbox cursor unreadable; relaying every segment from its start", { dir, cursor: text.slice(0, 200) });
  return { segment: 0, offset: 0 };
}

/** Makes a new file's directory entry durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Takes `<dir>/lock` for this process. A lock left by a process that is gone (or by
 * an earlier process that had the same pid, told apart by its start time) is taken over.
 */
async function acquireLock(dir: string, logger: Logger): Promise<void> {
  const path = join(dir, LOCK_FILE);
  const me = lockOwner(process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, me, { flag: "wx" });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = (await readFile(path, "utf8").catch(() => "")).trim();
    if (isLockHolderAlive(dir, holder)) throw new OutboxLockedError(dir, holder);
    logger.warn("outbox lock left by a process that is gone; taking it over", { dir, holder });
    await unlink(path).catch(() => undefined);
  }
  throw new OutboxLockedError(dir, "unknown");
}

function lockOwner(pid: number): string {
  const started = processStartTime(pid);
  return started === undefined ? String(pid) : `${pid} ${started}`;
}

function isLockHolderAlive(dir: string, holder: string): boolean {
  const [pidText, started] = holder.split(" ");
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return openDirs().has(dir);
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  if (started === undefined) return true;
  const current = processStartTime(pid);
  return current === undefined || current === started;
}

/** Start time of a process in clock ticks since boot (Linux), to tell a reused pid apart. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22; the command name (field 2) may contain spaces, so count after its ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}
