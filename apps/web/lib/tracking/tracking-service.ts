import { interactionEventSchema, type InteractionEvent, type ValidInteractionEvent } from "@taskflow/events";
import {
  classifyError,
  KafkaSendError,
  MemoryOutbox,
  OutboxFullError,
  OutboxRelay,
  type EmitAck,
  type FailureKind,
  type Logger,
  type Outbox,
  type OutboxDepth,
  type RelayPass,
  type RelayVerdict,
} from "@taskflow/kafka";
import { z } from "zod";
import { fromStoredEvent, toStoredEvent } from "./stored-event";

/** A live connection to Kafka and the registry, ready to emit. */
export interface TrackingConnection {
  emitter: {
    emit(event: InteractionEvent, options?: { timeoutMs?: number }): Promise<EmitAck>;
    /** One produce request for many events (the outbox relay's); without it the relay emits one at a time. */
    emitBatch?(events: readonly InteractionEvent[], options?: { timeoutMs?: number }): Promise<unknown>;
  };
  /** Disconnects the producer. */
  close(): Promise<void>;
}

export interface TrackingServiceOptions {
  /** Opens the connection; rejects if Kafka or the registry is unavailable. */
  connect: () => Promise<TrackingConnection>;
  logger: Logger;
  /**
   * Where every event is written before anything else, and where it waits while Kafka
   * cannot take it. The service owns it from here on: `stop()` closes it.
   * Production passes a `FileOutbox` (survives a restart); the default, in memory,
   * only survives a Kafka outage and is meant for tests.
   */
  outbox?: Outbox;
  /** Backoff between connection attempts: doubles from `initialDelayMs` up to `maxDelayMs`. */
  retry?: { initialDelayMs: number; maxDelayMs: number };
  /** The outbox relay's settings (see `OutboxRelayOptions`); `sendTimeoutMs` bounds one batch (default 30 s). */
  relay?: { batchSize?: number; idleMs?: number; backoff?: { initialMs: number; maxMs: number }; sendTimeoutMs?: number };
}

/** Why an event is in the outbox rather than acknowledged: the relay will deliver it. */
export type QueuedReason =
  /** No producer yet (Kafka or the registry down since start-up). */
  | "not-connected"
  /** A recent send failed, or the outbox has a backlog: events queue behind it without waiting for Kafka. */
  | "degraded"
  /** The caller asked not to wait for Kafka (`timeoutMs: 0`). */
  | "not-awaited"
  /** This event's own send failed or missed the caller's deadline. */
  | FailureKind;

/** Why an event was neither delivered nor stored; each is logged at error level with the whole event. */
export type LostReason = "invalid" | "outbox-full" | "outbox-failed" | "stopped";

/** What happened to one interaction. The user never sees this; logs and the UI marker do. */
export type TrackOutcome =
  | { delivered: true; partition: number; offset: string | undefined }
  | { delivered: false; queued: true; reason: QueuedReason }
  | { delivered: false; queued: false; reason: LostReason };

export type TrackingStatus = "idle" | "connecting" | "ready" | "stopped";

type Settled = { ok: true; ack: EmitAck } | { ok: false; error: unknown };

/**
 * Owns the web server's one Kafka producer for tracking, and the outbox that makes
 * tracking lossless.
 *
 * Write-ahead: `track()` appends every valid event to the outbox first. While Kafka
 * is healthy it also sends the event at once and answers on the broker's ack
 * (`delivered`); otherwise it answers as soon as the outbox has the event on disk
 * (`queued`), which takes about a millisecond, and the relay delivers it later. So
 * an answered event is always acknowledged by Kafka or fsynced locally: a crash or
 * SIGTERM right after answering loses nothing, and there is nothing to flush.
 *
 * The relay reads the outbox in order, passes over records the direct path already
 * delivered, sends the rest in batches (acks = all) and only then moves its cursor.
 * A record can be sent twice (a crash before the cursor moved, a direct send that
 * missed its deadline but landed); consumers are idempotent by event id.
 *
 * "Degraded" (a send failed, or a backlog exists, e.g. after a restart) makes
 * `track()` skip the direct send, so during an outage no user action waits for
 * Kafka; the relay's first pass that finds nothing left to send ends it.
 */
export class TrackingService {
  readonly #options: Required<Omit<TrackingServiceOptions, "outbox" | "relay">> & Pick<TrackingServiceOptions, "relay">;
  readonly #outbox: Outbox;
  readonly #relay: OutboxRelay<ValidInteractionEvent>;
  readonly #unsubscribe: () => void;
  #status: TrackingStatus = "idle";
  #connection: TrackingConnection | undefined;
  #wakeUp: (() => void) | undefined;
  /** Events being sent directly, or acknowledged, until the relay passes their outbox copy. */
  readonly #direct = new Map<string, "pending" | "acked">();
  #degraded: boolean;
  readonly #onDegraded = new Set<() => void>();

  constructor(options: TrackingServiceOptions) {
    this.#options = { retry: { initialDelayMs: 1_000, maxDelayMs: 10_000 }, ...options };
    const { logger } = options;
    this.#outbox = options.outbox ?? new MemoryOutbox({ logger });
    // A backlog left by an earlier process goes first; new events queue behind it.
    this.#degraded = this.#outbox.depth().records > 0;
    this.#relay = new OutboxRelay({
      outbox: this.#outbox,
      decode: fromStoredEvent,
      verdict: (event) => this.#verdict(event.id),
      canSend: () => this.#status === "ready" && this.#connection !== undefined,
      send: (events) => this.#sendBatch(events),
      onPass: (pass) => this.#onRelayPass(pass),
      logger,
      batchSize: options.relay?.batchSize,
      idleMs: options.relay?.idleMs,
      backoff: options.relay?.backoff,
    });
    this.#unsubscribe = this.#outbox.onWritten(() => this.#relay.notify());
  }

  get status(): TrackingStatus {
    return this.#status;
  }

  /** Whether `track()` currently answers from the outbox without trying Kafka first. */
  get degraded(): boolean {
    return this.#degraded;
  }

  /** What waits in the outbox for Kafka. */
  get outboxDepth(): OutboxDepth {
    return this.#outbox.depth();
  }

  /** Starts connecting and relaying in the background; idempotent, never throws. */
  start(): void {
    if (this.#status !== "idle") return;
    this.#status = "connecting";
    this.#relay.start();
    this.#connectWithRetries().catch((error: unknown) => this.#options.logger.error("tracking connection loop failed", { error }));
  }

  /**
   * Records one interaction; never throws and never loses a valid event it answered for.
   * Waits at most `timeoutMs` for Kafka's ack, and only while Kafka is healthy; with
   * `timeoutMs: 0` it answers once the event is durable in the outbox. Either way the
   * outbox keeps it until the broker has it.
   */
  async track(event: InteractionEvent, options: { timeoutMs: number }): Promise<TrackOutcome> {
    const { logger } = this.#options;
    const started = performance.now();
    const fields = { eventId: event.id, action: event.action, what: event.what };
    // How long this call has taken so far: what tracking adds to the caller's action.
    const trackMs = () => Math.round((performance.now() - started) * 100) / 100;
    const parsed = interactionEventSchema.safeParse(event);
    if (!parsed.success) {
      logger.error("interaction refused: it breaks the InteractionEvent contract", { ...fields, problems: z.prettifyError(parsed.error) });
      return { delivered: false, queued: false, reason: "invalid" };
    }
    const valid = parsed.data;
    if (this.#status === "stopped") return this.#lost(valid, "stopped");

    const connection = this.#connection;
    const sendNow = options.timeoutMs > 0 && this.#status === "ready" && connection !== undefined && !this.#degraded;
    // Registered before the append, so the relay never sends a record whose direct send is under way.
    if (sendNow) this.#direct.set(valid.id, "pending");
    const stored = this.#outbox.append(toStoredEvent(valid)).then(
      () => ({ ok: true as const }),
      (error: unknown) => {
        // The relay will never meet this record: forget the direct send's state with it.
        this.#direct.delete(valid.id);
        return { ok: false as const, error };
      },
    );

    if (!sendNow) {
      const durable = await stored;
      if (!durable.ok) return this.#lost(valid, durable.error);
      const reason: QueuedReason = this.#status !== "ready" ? "not-connected" : this.#degraded ? "degraded" : "not-awaited";
      logger.info("interaction queued in the outbox", { ...fields, reason, trackMs: trackMs() });
      return { delivered: false, queued: true, reason };
    }

    const settled: Promise<Settled> = connection.emitter.emit(event, { timeoutMs: options.timeoutMs }).then(
      (ack) => {
        if (this.#direct.get(valid.id) === "pending") this.#direct.set(valid.id, "acked");
        this.#relay.notify();
        return { ok: true, ack };
      },
      (error: unknown) => {
        // The relay sends it from the outbox; if this send lands after all, that is a duplicate, which is harmless.
        this.#direct.delete(valid.id);
        this.#relay.notify();
        return { ok: false, error };
      },
    );
    const first = await this.#untilSettledOrDegraded(settled);
    // Registered after the wait above, so this event's own failure is reported as its reason.
    void settled.then((s) => {
      if (!s.ok) this.#degrade("a send failed", s.error);
    });

    if (first !== "degraded" && first.ok) {
      const { ack } = first;
      logger.info("interaction sent", { ...fields, topic: ack.topic, partition: ack.partition, offset: ack.offset, trackMs: trackMs() });
      // Nothing to wait for: Kafka has it, whatever becomes of the outbox copy.
      return { delivered: true, partition: ack.partition, offset: ack.offset };
    }
    const durable = await stored;
    if (!durable.ok) return this.#lost(valid, durable.error);
    const reason: QueuedReason = first === "degraded" ? "degraded" : classifyError(first.error);
    logger.warn("interaction not acknowledged in time; queued in the outbox", {
      ...fields,
      reason,
      trackMs: trackMs(),
      error: first === "degraded" ? undefined : first.error,
    });
    return { delivered: false, queued: true, reason };
  }

  /** Stops retrying and relaying, closes the outbox, disconnects; idempotent. */
  async stop(): Promise<void> {
    if (this.#status === "stopped") return;
    this.#status = "stopped";
    this.#wakeUp?.();
    await this.#relay.stop();
    this.#unsubscribe();
    await this.#outbox.close().catch((error: unknown) => this.#options.logger.error("tracking outbox did not close cleanly", { error }));
    // NOTE: a connection attempt still under way is not awaited (kafkajs bounds it
    // with its own timeouts); the loop closes it itself when it lands after stop.
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close();
  }

  /** Resolves with the send's outcome, or with "degraded" as soon as another send fails. */
  #untilSettledOrDegraded(settled: Promise<Settled>): Promise<Settled | "degraded"> {
    return new Promise((resolve) => {
      const onDegraded = () => resolve("degraded");
      this.#onDegraded.add(onDegraded);
      void settled.then((s) => {
        this.#onDegraded.delete(onDegraded);
        resolve(s);
      });
    });
  }

  #degrade(cause: string, error?: unknown): void {
    if (this.#degraded || this.#status === "stopped") return;
    this.#degraded = true;
    this.#options.logger.warn("tracking degraded: events are answered from the outbox until it is drained", { cause, error, ...this.#depthFields() });
    const waiting = [...this.#onDegraded];
    this.#onDegraded.clear();
    for (const release of waiting) release();
  }

  #onRelayPass(pass: RelayPass): void {
    if (pass.outcome === "failed") this.#degrade("the outbox relay could not send", pass.error);
    else if (pass.outcome === "not-ready") this.#degrade("Kafka is not connected and the outbox has records");
    else if (pass.outcome === "idle" && this.#degraded && this.#status === "ready") {
      this.#degraded = false;
      this.#options.logger.info("tracking healthy: the outbox is drained, events are sent directly again", this.#depthFields());
    }
  }

  #verdict(eventId: string): RelayVerdict {
    const state = this.#direct.get(eventId);
    if (state === "pending") return "wait";
    if (state === "acked") {
      this.#direct.delete(eventId);
      return "skip";
    }
    return "send";
  }

  async #sendBatch(events: ValidInteractionEvent[]): Promise<void> {
    const connection = this.#connection;
    if (!connection) throw new KafkaSendError("not connected", { retriable: true });
    const timeoutMs = this.#options.relay?.sendTimeoutMs ?? 30_000;
    const { emitter } = connection;
    if (emitter.emitBatch) await emitter.emitBatch(events, { timeoutMs });
    else for (const event of events) await emitter.emit(event, { timeoutMs });
    // One line per batch, with every id, so an event can still be followed by grep.
    this.#options.logger.info("interactions sent from the outbox", { count: events.length, eventIds: events.map((e) => e.id) });
  }

  #lost(event: ValidInteractionEvent, cause: unknown): TrackOutcome {
    const reason: LostReason = cause === "stopped" ? "stopped" : cause instanceof OutboxFullError ? "outbox-full" : "outbox-failed";
    // CRITICAL: the one place an event can be lost. The whole event is in the log
    // line, so it can still be replayed from the logs.
    this.#options.logger.error("interaction lost: not delivered and not stored", {
      eventId: event.id,
      reason,
      error: cause === "stopped" ? undefined : cause,
      event: toStoredEvent(event).event,
    });
    return { delivered: false, queued: false, reason };
  }

  #depthFields() {
    const depth = this.#outbox.depth();
    return { depthRecords: depth.records, depthBytes: depth.bytes };
  }

  async #connectWithRetries(): Promise<void> {
    const { connect, logger, retry } = this.#options;
    for (let attempt = 1; this.#status === "connecting"; attempt++) {
      try {
        const connection = await connect();
        if (this.#status !== "connecting") {
          await connection.close();
          return;
        }
        this.#connection = connection;
        this.#status = "ready";
        logger.info("tracking ready", { attempt, ...this.#depthFields() });
        this.#relay.kick();
        return;
      } catch (error) {
        const delayMs = Math.min(retry.initialDelayMs * 2 ** (attempt - 1), retry.maxDelayMs);
        // A fatal cause (e.g. the schema is not registered yet) is still retried:
        // setup may run after the server starts. It is logged louder.
        const level = classifyError(error) === "retriable" ? "warn" : "error";
        logger[level]("tracking not ready, will retry", { attempt, retryInMs: delayMs, error, ...this.#depthFields() });
        await this.#sleep(delayMs);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeUp = done;
    });
  }
}
