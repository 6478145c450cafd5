import type { InteractionEvent } from "@taskflow/events";
import { classifyError, type EmitAck, type FailureKind, type Logger } from "@taskflow/kafka";

/** A live connection to Kafka and the registry, ready to emit. */
export interface TrackingConnection {
  emitter: { emit(event: InteractionEvent, options?: { timeoutMs?: number }): Promise<EmitAck> };
  /** Disconnects the producer. */
  close(): Promise<void>;
}

export interface TrackingServiceOptions {
  /** Opens the connection; rejects if Kafka or the registry is unavailable. */
  connect: () => Promise<TrackingConnection>;
  logger: Logger;
  /** Backoff between connection attempts: doubles from `initialDelayMs` up to `maxDelayMs`. */
  retry?: { initialDelayMs: number; maxDelayMs: number };
}

/** What happened to one interaction. The user never sees this; logs and the UI marker do. */
export type TrackOutcome =
  | { delivered: true; partition: number; offset: string | undefined }
  | { delivered: false; reason: "not-connected" | FailureKind };

export type TrackingStatus = "idle" | "connecting" | "ready" | "stopped";

/**
 * Owns the web server's one Kafka producer for tracking.
 *
 * It connects in the background and keeps retrying, so the server starts and
 * serves pages while Kafka or the registry is down; interactions tracked
 * meanwhile fail fast (`not-connected`) and are logged with their event id.
 * NOTE: nothing is kept for later. A durable outbox (next issue) replaces these
 * log lines as the record of undelivered events.
 */
export class TrackingService {
  readonly #options: Required<TrackingServiceOptions>;
  #status: TrackingStatus = "idle";
  #connection: TrackingConnection | undefined;
  #wakeUp: (() => void) | undefined;

  constructor(options: TrackingServiceOptions) {
    this.#options = { retry: { initialDelayMs: 1_000, maxDelayMs: 30_000 }, ...options };
  }

  get status(): TrackingStatus {
    return this.#status;
  }

  /** Starts connecting in the background; idempotent, never throws. */
  start(): void {
    if (this.#status !== "idle") return;
    this.#status = "connecting";
    this.#connectWithRetries().catch((error: unknown) => this.#options.logger.error("tracking connection loop failed", { error }));
  }

  /**
   * Emits one interaction and reports the outcome; never throws. Waits at most
   * `timeoutMs` for the broker's acknowledgement.
   */
  async track(event: InteractionEvent, options: { timeoutMs: number }): Promise<TrackOutcome> {
    const { logger } = this.#options;
    const fields = { eventId: event.id, action: event.action, what: event.what };
    const connection = this.#connection;
    if (this.#status !== "ready" || !connection) {
      logger.warn("interaction not sent: Kafka is not connected", { ...fields, status: this.#status });
      return { delivered: false, reason: "not-connected" };
    }
    try {
      const ack = await connection.emitter.emit(event, { timeoutMs: options.timeoutMs });
      logger.info("interaction sent", { ...fields, topic: ack.topic, partition: ack.partition, offset: ack.offset });
      return { delivered: true, partition: ack.partition, offset: ack.offset };
    } catch (error) {
      const reason = classifyError(error);
      const level = reason === "retriable" ? "warn" : "error";
      logger[level]("interaction not sent", { ...fields, retriable: reason === "retriable", error });
      return { delivered: false, reason };
    }
  }

  /** Stops retrying and disconnects; idempotent. */
  async stop(): Promise<void> {
    if (this.#status === "stopped") return;
    this.#status = "stopped";
    this.#wakeUp?.();
    // NOTE: a connection attempt still under way is not awaited (kafkajs bounds it
    // with its own timeouts); the loop closes it itself when it lands after stop.
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close();
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
        logger.info("tracking ready", { attempt });
        return;
      } catch (error) {
        const delayMs = Math.min(retry.initialDelayMs * 2 ** (attempt - 1), retry.maxDelayMs);
        // A fatal cause (e.g. the schema is not registered yet) is still retried:
        // setup may run after the server starts. It is logged louder.
        const level = classifyError(error) === "retriable" ? "warn" : "error";
        logger[level]("tracking not ready, will retry", { attempt, retryInMs: delayMs, error });
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
