import { classifyError } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import { comparePositions, type Outbox, type OutboxDepth, type OutboxPosition } from "./outbox.ts";

/** What the relay should do with one record: send it, pass over it (delivered another way), or wait for that other way to finish. */
export type RelayVerdict = "send" | "skip" | "wait";

/**
 * How one pass ended.
 * - `idle`: nothing after the cursor; the outbox is drained.
 * - `more`: a batch went out (or was passed over); the next pass starts at once.
 * - `waiting`: stopped at a record another sender has in flight.
 * - `not-ready`: records wait, and `canSend()` said no.
 * - `failed`: reading or sending failed; the next pass comes after a backoff.
 */
export type RelayOutcome = "idle" | "more" | "waiting" | "not-ready" | "failed";

export interface RelayPass {
  outcome: RelayOutcome;
  sent: number;
  skipped: number;
  rejected: number;
  depth: OutboxDepth;
  error?: unknown;
}

export interface OutboxRelayOptions<T> {
  outbox: Outbox;
  /** Turns a stored value back into a record; `{ ok: false }` quarantines it (never retried). */
  decode(value: unknown): { ok: true; record: T } | { ok: false; reason: string };
  /** Default: every record is sent. */
  verdict?(record: T): RelayVerdict;
  /** Whether a send can be tried now (e.g. the producer is connected). */
  canSend(): boolean;
  /** Sends records in one go; resolves once the broker acknowledged all of them. */
  send(records: T[]): Promise<void>;
  /** Called after every pass (the caller tracks health with it). */
  onPass?(pass: RelayPass): void;
  logger?: Logger;
  /** Records per send. Default 500. */
  batchSize?: number;
  /** A pass runs at least this often even when nothing wakes the relay. Default 5 s. */
  idleMs?: number;
  /** Wait after a failed pass: doubles from `initialMs` up to `maxMs`. Default 500 ms to 10 s. */
  backoff?: { initialMs: number; maxMs: number };
}

const INFO_LOG_INTERVAL_MS = 1_000;

/**
 * Moves records from an outbox to Kafka: reads from the cursor in order, sends a
 * batch, and commits the cursor past it only once the broker acknowledged it.
 * A crash between the ack and the commit re-sends the batch, never skips it, so the
 * delivery is at-least-once and consumers de-duplicate (by event id here).
 *
 * Wake it with `notify()` when records were appended, `kick()` when the connection
 * came (back); it also looks every `idleMs`, and backs off after failures.
 */
export class OutboxRelay<T> {
  readonly #options: OutboxRelayOptions<T>;
  readonly #logger: Logger;
  readonly #batchSize: number;
  readonly #idleMs: number;
  readonly #backoff: { initialMs: number; maxMs: number };
  #running: Promise<void> | undefined;
  #stopped = false;
  #notified = false;
  #kicked = false;
  #wake: ((reason: "notify" | "kick") => void) | undefined;
  /** Positions of records quarantined but not yet committed past, so a retry does not quarantine them twice. */
  readonly #quarantined = new Map<string, OutboxPosition>();
  #unlogged = { sent: 0, skipped: 0, rejected: 0 };
  #loggedAt = 0;
  readonly totals = { sent: 0, skipped: 0, rejected: 0, failures: 0 };

  constructor(options: OutboxRelayOptions<T>) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#batchSize = options.batchSize ?? 500;
    this.#idleMs = options.idleMs ?? 5_000;
    this.#backoff = options.backoff ?? { initialMs: 500, maxMs: 10_000 };
  }

  /** Starts the loop; idempotent. */
  start(): void {
    if (this.#running || this.#stopped) return;
    this.#running = this.#loop().catch((error: unknown) => this.#logger.error("outbox relay loop ended unexpectedly", { error }));
  }

  /** New records may be there: run a pass soon (ignored while waiting for Kafka or backing off). */
  notify(): void {
    this.#notified = true;
    this.#wake?.("notify");
  }

  /** Sending may work now (connected again): run a pass at once, even during a backoff. */
  kick(): void {
    this.#kicked = true;
    this.#wake?.("kick");
  }

  /** Ends the loop after the pass under way (waiting at most `timeoutMs` for it). Idempotent. */
  async stop(timeoutMs = 5_000): Promise<void> {
    this.#stopped = true;
    this.#wake?.("kick");
    if (!this.#running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#running, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs).unref()))]);
    clearTimeout(timer);
  }

  async #loop(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      const pass = await this.#pass();
      if (this.#stopped) break;
      this.#report(pass, failures + 1);
      try {
        this.#options.onPass?.(pass);
      } catch (error) {
        this.#logger.error("outbox relay onPass callback failed", { error });
      }
      switch (pass.outcome) {
        case "more":
          failures = 0;
          break;
        case "failed":
          failures++;
          await this.#sleep(this.#backoffMs(failures), false);
          break;
        case "not-ready":
          await this.#sleep(this.#idleMs, false);
          break;
        default:
          failures = 0;
          await this.#sleep(this.#idleMs, true);
      }
    }
  }

  /** One batch: read from the cursor, sort out what to send, send it, commit. Never throws. */
  async #pass(): Promise<RelayPass> {
    const { outbox, decode, canSend, send } = this.#options;
    const verdict = this.#options.verdict ?? (() => "send" as const);
    const counts = { sent: 0, skipped: 0, rejected: 0 };
    const done = (outcome: RelayOutcome, error?: unknown): RelayPass => ({ outcome, ...counts, depth: outbox.depth(), error });
    try {
      const start = outbox.cursor;
      const { entries, next } = await outbox.read(start, { maxRecords: this.#batchSize });
      // Everything up to `groupEnd` has been looked at; up to `prefixEnd`, nothing needs sending.
      let groupEnd = start;
      let groupCount = 0;
      let prefixEnd = start;
      let prefixCount = 0;
      let blocked = false;
      const batch: T[] = [];
      for (const entry of entries) {
        if (entry.kind === "corrupt") {
          await this.#quarantine(entry.end, entry.raw, "not a JSON line");
          counts.rejected++;
        } else {
          const decoded = decode(entry.value);
          if (!decoded.ok) {
            await this.#quarantine(entry.end, JSON.stringify(entry.value), decoded.reason);
            counts.rejected++;
          } else {
            const v = verdict(decoded.record);
            if (v === "wait") {
              blocked = true;
              break;
            }
            if (v === "send") batch.push(decoded.record);
            else counts.skipped++;
          }
        }
        groupEnd = entry.end;
        groupCount++;
        if (batch.length === 0) {
          prefixEnd = groupEnd;
          prefixCount = groupCount;
        }
      }
      // Past the last entry, `next` may also step over a torn tail or into the next segment.
      const end = blocked ? groupEnd : next;

      if (batch.length > 0) {
        if (!canSend()) {
          this.#commit(prefixEnd, prefixCount);
          return done("not-ready");
        }
        try {
          await send(batch);
        } catch (error) {
          this.#commit(prefixEnd, prefixCount);
          return done("failed", error);
        }
        counts.sent = batch.length;
      }
      this.#commit(end, groupCount);
      if (blocked) return done("waiting");
      return done(entries.length === 0 && comparePositions(end, start) === 0 ? "idle" : "more");
    } catch (error) {
      return done("failed", error);
    }
  }

  #commit(to: OutboxPosition, records: number): void {
    const { outbox } = this.#options;
    if (comparePositions(to, outbox.cursor) <= 0) return;
    outbox.commit(to, records);
    for (const [key, position] of this.#quarantined) if (comparePositions(position, to) <= 0) this.#quarantined.delete(key);
  }

  async #quarantine(position: OutboxPosition, raw: string, reason: string): Promise<void> {
    const key = `${position.segment}:${position.offset}`;
    if (this.#quarantined.has(key)) return;
    this.#quarantined.set(key, position);
    this.#logger.error("outbox record quarantined: it can never be sent", { reason, raw: raw.slice(0, 500), position });
    await this.#options.outbox.quarantine(raw, reason);
  }

  /** Depth on every pass that did something or is held up; steady idle passes only at debug. */
  #report(pass: RelayPass, attempt: number): void {
    this.totals.sent += pass.sent;
    this.totals.skipped += pass.skipped;
    this.totals.rejected += pass.rejected;
    this.#unlogged.sent += pass.sent;
    this.#unlogged.skipped += pass.skipped;
    this.#unlogged.rejected += pass.rejected;
    const depth = { depthRecords: pass.depth.records, depthBytes: pass.depth.bytes, segments: pass.depth.segments };
    if (pass.outcome === "failed") {
      this.totals.failures++;
      const fatal = classifyError(pass.error) === "fatal";
      this.#logger[fatal ? "error" : "warn"]("outbox relay could not send; will retry", { attempt, retryInMs: this.#backoffMs(attempt), ...depth, error: pass.error });
      return;
    }
    if (pass.outcome === "not-ready") {
      this.#logger.info("outbox relay waiting for Kafka", depth);
      return;
    }
    const moved = this.#unlogged.sent + this.#unlogged.rejected > 0;
    const now = Date.now();
    if (moved && (pass.outcome === "idle" || now - this.#loggedAt >= INFO_LOG_INTERVAL_MS)) {
      this.#logger.info("outbox relay pass", { ...this.#unlogged, ...depth, outcome: pass.outcome });
      this.#unlogged = { sent: 0, skipped: 0, rejected: 0 };
      this.#loggedAt = now;
    } else {
      this.#logger.debug("outbox relay pass", { ...pass, depth: undefined, ...depth });
    }
  }

  #backoffMs(failures: number): number {
    return Math.min(this.#backoff.initialMs * 2 ** (failures - 1), this.#backoff.maxMs);
  }

  /** Sleeps `ms`; `kick()` always ends it early, `notify()` only when `wakeOnNotify`. */
  #sleep(ms: number, wakeOnNotify: boolean): Promise<void> {
    if (this.#stopped || this.#kicked || (wakeOnNotify && this.#notified)) {
      this.#kicked = false;
      this.#notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(), ms);
      timer.unref();
      const finish = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#kicked = false;
        this.#notified = false;
        resolve();
      };
      this.#wake = (reason) => {
        if (reason === "kick" || wakeOnNotify) finish();
      };
    });
  }
}
