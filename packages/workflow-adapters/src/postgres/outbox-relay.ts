import type pg from "pg";
import { classifyError, silentLogger, type Logger } from "@taskflow/kafka";
import type { EventSink, RunEvent } from "@taskflow/workflow";
import type { RunEventContext } from "../kafka/workflow-event-publisher.ts";
import { OUTBOX_CHANNEL, parseOutboxEvent } from "./postgres-run-state-store.ts";

/**
 * Publishes the transactional outbox `workflow_event_outbox` (written by
 * `PostgresRunStateStore.commit`) to the workflow-events topic, so runs of the
 * RabbitMQ/PostgreSQL transport land in the same event store as the Kafka transport's.
 */

/**
 * Where the relay publishes: the Kafka `WorkflowEventPublisher`, created with
 * `transport: "rabbitmq"` (it stamps that on every record), resolving on the broker's ack.
 */
export interface OutboxPublisher {
  publish(events: readonly RunEvent[], context: RunEventContext): Promise<void>;
}

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  /** Pool on the database (and schema, by `search_path`) of the outbox. The leader holds one of its connections. */
  pool: pg.Pool;
  /**
   * The publisher, or how to make one (e.g. connect a producer and create a
   * `WorkflowEventPublisher` with `transport: "rabbitmq"`): called when first needed and again, with backoff, until it
   * succeeds, so the relay starts while Kafka is down and catches up once it is back.
   */
  publisher: OutboxPublisher | (() => Promise<OutboxPublisher>);
  logger?: Logger;
  /** Rows read per pass. Default 500. */
  batchSize?: number;
  /** A pass runs at least this often without a wake-up; also how often a follower tries to lead. Default 1 s. */
  pollIntervalMs?: number;
  /** Wait after a failed pass: doubles from `initialMs` up to `maxMs`. Default 200 ms to 10 s. */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * Name of the leader lock (a session advisory lock keyed by the hash of the current
   * schema and this name). Relays with the same name on the same schema elect one leader.
   * Default `taskflow:workflow_event_outbox`.
   */
  lockName?: string;
}

/** The connection holding the leader lock, and our listeners on it (removed before it goes back to the pool). */
interface LeaderSession {
  client: pg.PoolClient;
  schema: string;
  lost: boolean;
  onError: (error: Error) => void;
  onNotification: (message: pg.Notification) => void;
}

/** How one pass ended. */
type PassOutcome = "idle" | "more" | "follower" | "failed";

interface OutboxRow {
  id: string;
  run_id: string;
  seq: string;
  event: unknown;
}

const SELECT_UNPUBLISHED_SQL = `
SELECT id, run_id, seq, event FROM workflow_event_outbox
WHERE published_at IS NULL
ORDER BY id
LIMIT $1`;
const MARK_PUBLISHED_SQL = "UPDATE workflow_event_outbox SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL";
const TRY_LOCK_SQL = "SELECT pg_try_advisory_lock(hashtextextended(current_schema() || ':' || $1, 0)) AS locked, current_schema() AS schema";
const UNLOCK_SQL = "SELECT pg_advisory_unlock(hashtextextended(current_schema() || ':' || $1, 0))";

/**
 * Moves outbox rows to Kafka in id order and marks them published once the broker
 * acknowledged them; a crash between the ack and the mark re-publishes them (at least once;
 * the event id is deterministic, so the event store rewrites the same rows).
 *
 * - One leader: of the relays on a schema, only the one holding a session advisory lock
 *   publishes, on the connection that holds the lock (a lost connection loses the lock and
 *   fails the leader's next query, so two leaders never mark the same rows). A run's events
 *   therefore go out in sequence order.
 * - Latency: `wake()` after a local commit, and a LISTEN on the commits' NOTIFY for other
 *   processes' commits; `pollIntervalMs` as the safety net.
 * - Kafka down: the pass fails, nothing is marked, and the relay backs off exponentially.
 */
export class OutboxRelay {
  private readonly logger: Logger;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly lockName: string;
  private publisher: OutboxPublisher | undefined;
  private leader: LeaderSession | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private drainDeadline = 0;
  private woken = false;
  private interruptSleep: ((byWake: boolean) => void) | undefined;
  /** Totals since start, for health and metrics. */
  readonly stats = { published: 0, failedPasses: 0 };

  constructor(private readonly options: OutboxRelayOptions) {
    this.logger = options.logger ?? silentLogger;
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.backoff = options.backoff ?? { initialMs: 200, maxMs: 10_000 };
    this.lockName = options.lockName ?? "taskflow:workflow_event_outbox";
    if (typeof options.publisher !== "function") this.publisher = options.publisher;
  }

  /** Whether this relay holds the leader lock (for health). */
  get isLeader(): boolean {
    return this.leader !== undefined && !this.leader.lost;
  }

  /** Starts the loop; idempotent. */
  start(): void {
    if (this.loop || this.stopping) return;
    this.loop = this.run().catch((error: unknown) => this.logger.error("outbox relay loop ended unexpectedly", { error }));
  }

  /** Rows were committed: publish them now rather than at the next poll (not during a backoff). */
  wake(): void {
    this.woken = true;
    this.interruptSleep?.(true);
  }

  /**
   * Stops: ends any wait, lets the current pass finish, publishes what is left (while Kafka
   * acknowledges, until `timeoutMs`), and releases the leader lock. Resolves after `timeoutMs`
   * at the latest; a pass still under way then finishes (and resigns) in the background.
   * Idempotent.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.drainDeadline = Date.now() + timeoutMs;
    }
    this.interruptSleep?.(false);
    if (!this.loop) return this.resign(false);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs).unref()));
    if ((await Promise.race([this.loop, timedOut])) === "timeout") {
      this.logger.warn("outbox relay did not drain in time; unpublished rows stay for the next leader", { timeoutMs });
    }
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const outcome = await this.pass();
      if (outcome === "more") {
        failures = 0;
      } else if (outcome === "failed") {
        failures++;
        this.stats.failedPasses++;
        await this.sleep(Math.min(this.backoff.initialMs * 2 ** (failures - 1), this.backoff.maxMs), false);
      } else {
        failures = 0;
        await this.sleep(this.pollIntervalMs, true);
      }
    }
    // Drain: what was committed before stop() goes out now, unless Kafka fails us or time is up.
    while (this.leader && Date.now() < this.drainDeadline && (await this.pass()) === "more");
    // NOTE: only the loop touches the leader connection, so only the loop gives it back.
    await this.resign(false);
  }

  /**
   * One batch: lead (or not), read unpublished rows, publish them, mark the acknowledged
   * ones. Never throws. A failing query on the leader connection gives the lock up (the
   * connection is destroyed); a failing publish keeps it and backs off.
   */
  private async pass(): Promise<PassOutcome> {
    let leader: LeaderSession | undefined;
    try {
      leader = await this.lead();
    } catch (error) {
      this.logger.warn("outbox relay cannot reach PostgreSQL to take the leader lock", { error });
      return "failed";
    }
    if (!leader) return "follower";
    let rows: OutboxRow[];
    try {
      rows = (await leader.client.query<OutboxRow>(SELECT_UNPUBLISHED_SQL, [this.batchSize])).rows;
    } catch (error) {
      this.logger.warn("outbox relay cannot read the outbox; giving up the leader lock", { error });
      await this.resign(true);
      return "failed";
    }
    if (rows.length === 0) return "idle";
    let published: { acknowledged: string[]; error?: unknown };
    try {
      published = await this.publishRows(await this.resolvePublisher(), rows);
    } catch (error) {
      published = { acknowledged: [], error };
    }
    if (published.acknowledged.length > 0) {
      try {
        await leader.client.query(MARK_PUBLISHED_SQL, [published.acknowledged]);
        this.stats.published += published.acknowledged.length;
      } catch (error) {
        // The events went out; unmarked, they go out again (same event ids) under the next leader.
        this.logger.warn("outbox relay cannot mark published rows; giving up the leader lock", { error });
        await this.resign(true);
        return "failed";
      }
    }
    if (published.error !== undefined) {
      const fatal = classifyError(published.error) === "fatal";
      this.logger[fatal ? "error" : "warn"]("outbox relay could not publish; those rows stay unpublished and are retried", {
        error: published.error,
        acknowledged: published.acknowledged.length,
        unpublished: rows.length - published.acknowledged.length,
      });
      return "failed";
    }
    return "more";
  }

  /**
   * Publishes the rows, each run's in id order (its events in sequence order) and the runs
   * side by side (the producer coalesces concurrent sends). A run whose send fails stops
   * there, so none of its later events goes out before it. Returns the acknowledged ids.
   */
  private async publishRows(publisher: OutboxPublisher, rows: readonly OutboxRow[]): Promise<{ acknowledged: string[]; error?: unknown }> {
    const segmentsByRun = new Map<string, { ids: string[]; events: RunEvent[]; context: RunEventContext; key: string }[]>();
    for (const row of rows) {
      const { event, context: stored } = parseOutboxEvent(row.run_id, Number(row.seq), row.event);
      const context: RunEventContext = { workflowId: stored.workflowId, workflowVersion: stored.workflowVersion, actor: stored.actor };
      const key = JSON.stringify(context);
      const segments = segmentsByRun.get(row.run_id) ?? [];
      segmentsByRun.set(row.run_id, segments);
      const last = segments.at(-1);
      // NOTE: a run's events share one context unless writers with different actors committed; keep order across them.
      if (last && last.key === key) {
        last.ids.push(row.id);
        last.events.push(event);
      } else {
        segments.push({ ids: [row.id], events: [event], context, key });
      }
    }
    const acknowledged: string[] = [];
    let firstError: unknown;
    await Promise.all(
      [...segmentsByRun.values()].map(async (segments) => {
        for (const segment of segments) {
          try {
            await publisher.publish(segment.events, segment.context);
          } catch (error) {
            firstError ??= error;
            return;
          }
          acknowledged.push(...segment.ids);
        }
      }),
    );
    return firstError === undefined ? { acknowledged } : { acknowledged, error: firstError };
  }

  private async resolvePublisher(): Promise<OutboxPublisher> {
    if (this.publisher) return this.publisher;
    const create = this.options.publisher as () => Promise<OutboxPublisher>;
    this.publisher = await create();
    this.logger.info("outbox relay publisher ready");
    return this.publisher;
  }

  /** The leader connection, taking the lock if free; `undefined` while another relay leads. */
  private async lead(): Promise<LeaderSession | undefined> {
    if (this.leader && !this.leader.lost) return this.leader;
    if (this.leader) await this.resign(true);
    // A stopping relay drains as the leader it is; it does not become one.
    if (this.stopping) return undefined;
    const client = await this.options.pool.connect();
    const session: LeaderSession = {
      client,
      schema: "",
      lost: false,
      // CRITICAL: the lock lives as long as this session; a dropped connection frees it for
      // another relay and fails our next query (this listener keeps it from crashing the process).
      onError: (error) => {
        session.lost = true;
        this.logger.warn("outbox relay leader connection lost; its lock is released", { error });
        this.interruptSleep?.(false);
      },
      onNotification: (message) => {
        if (message.channel === OUTBOX_CHANNEL && message.payload === session.schema) this.wake();
      },
    };
    client.on("error", session.onError);
    client.on("notification", session.onNotification);
    try {
      const { rows } = await client.query<{ locked: boolean; schema: string }>(TRY_LOCK_SQL, [this.lockName]);
      if (!rows[0]?.locked) {
        this.detach(session);
        client.release();
        return undefined;
      }
      session.schema = rows[0].schema;
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (error) {
      this.detach(session);
      client.on("error", ignoreError);
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    this.leader = session;
    this.logger.info("outbox relay is the leader", { schema: session.schema, lockName: this.lockName });
    return session;
  }

  /** Releases the lock and its connection (destroying the connection if `broken`, lost, or the unlock fails). */
  private async resign(broken: boolean): Promise<void> {
    const leader = this.leader;
    if (!leader) return;
    this.leader = undefined;
    let failure: Error | undefined = broken || leader.lost ? new Error("outbox relay leader connection is broken") : undefined;
    if (!failure) {
      try {
        await leader.client.query(`UNLISTEN ${OUTBOX_CHANNEL}`);
        await leader.client.query(UNLOCK_SQL, [this.lockName]);
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
      }
    }
    this.detach(leader);
    // NOTE: release(error) destroys the connection instead of pooling it, which also frees the
    // lock; a late error from the dying connection must not crash the process.
    if (failure) leader.client.on("error", ignoreError);
    leader.client.release(failure);
    this.logger.info("outbox relay resigned as leader", { lockName: this.lockName });
  }

  private detach(session: LeaderSession): void {
    session.client.off("error", session.onError);
    session.client.off("notification", session.onNotification);
  }

  /** Sleeps `ms`; stop() always ends it, wake() only when `wakeable` (not during a backoff). */
  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopping || (wakeable && this.woken)) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.interruptSleep = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      timer.unref();
      this.interruptSleep = (byWake) => {
        if (!byWake || wakeable) finish();
      };
    });
  }
}

function ignoreError(): void {}

/**
 * The engine's `events` for the RabbitMQ/PostgreSQL transport: the events are already
 * durable in the outbox (the commit wrote them), so publishing means waking the relay.
 */
export class OutboxEventSink implements EventSink {
  constructor(private readonly relay: Pick<OutboxRelay, "wake">) {}

  /** `_context` is ignored: the commit wrote each event's blueprint, actor and transport into the outbox. */
  async publish(events: readonly RunEvent[], _context?: Parameters<EventSink["publish"]>[1]): Promise<void> {
    if (events.length > 0) this.relay.wake();
  }
}
