import type cassandra from "cassandra-driver";
import type { Logger } from "@taskflow/kafka";

/** Raised when the app needs Cassandra before (or after) it is connected. */
export class DatabaseUnavailableError extends Error {
  constructor() {
    super("Cassandra is not connected");
    this.name = "DatabaseUnavailableError";
  }
}

export interface CassandraServiceOptions {
  /** Resolves with a connected client; rejects if no node answers. */
  connect: () => Promise<cassandra.Client>;
  logger: Logger;
  /** Backoff between connection attempts: doubles from `initialDelayMs` up to `maxDelayMs`. */
  retry?: { initialDelayMs: number; maxDelayMs: number };
}

export type CassandraStatus = "idle" | "connecting" | "ready" | "stopped";

/**
 * Owns the web server's one Cassandra client. It connects in the background and
 * retries until a node answers, so the server starts (and serves the pages that
 * need no data) while Cassandra is still coming up; once connected, the driver
 * itself reconnects to nodes that go away.
 */
export class CassandraService {
  readonly #options: Required<CassandraServiceOptions>;
  #status: CassandraStatus = "idle";
  #client: cassandra.Client | undefined;
  #wakeUp: (() => void) | undefined;

  constructor(options: CassandraServiceOptions) {
    this.#options = { retry: { initialDelayMs: 500, maxDelayMs: 15_000 }, ...options };
  }

  get status(): CassandraStatus {
    return this.#status;
  }

  /** Starts connecting in the background; idempotent, never throws. */
  start(): void {
    if (this.#status !== "idle") return;
    this.#status = "connecting";
    this.#connectWithRetries().catch((error: unknown) => this.#options.logger.error("cassandra connection loop failed", { error }));
  }

  /** The connected client; throws DatabaseUnavailableError while there is none. */
  client(): cassandra.Client {
    if (this.#status !== "ready" || !this.#client) throw new DatabaseUnavailableError();
    return this.#client;
  }

  /** Stops retrying and shuts the client down; idempotent. */
  async stop(): Promise<void> {
    if (this.#status === "stopped") return;
    this.#status = "stopped";
    this.#wakeUp?.();
    const client = this.#client;
    this.#client = undefined;
    await client?.shutdown();
  }

  async #connectWithRetries(): Promise<void> {
    const { connect, logger, retry } = this.#options;
    for (let attempt = 1; this.#status === "connecting"; attempt++) {
      try {
        const client = await connect();
        if (this.#status !== "connecting") {
          await client.shutdown();
          return;
        }
        this.#client = client;
        this.#status = "ready";
        logger.info("cassandra ready", { attempt });
        return;
      } catch (error) {
        const delayMs = Math.min(retry.initialDelayMs * 2 ** (attempt - 1), retry.maxDelayMs);
        logger.warn("cassandra not reachable, will retry", { attempt, retryInMs: delayMs, error });
        await this.#sleep(delayMs);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.#wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
