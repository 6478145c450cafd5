import type pg from "pg";
import { createReconciler, type EngineLogger, type Lease, type ReconcilableEngine, type Reconciler } from "@taskflow/workflow";

/** Options of {@link createRabbitMqReconciler} (the seed's, plus batch size and logger). */
export interface RabbitMqReconcilerOptions {
  /** The engine side: re-checks a stall under the run's lease and re-enqueues exactly its ready nodes. */
  adapter: ReconcilableEngine;
  /** A pool (not one client): each per-run lock holds a connection while its run is reconciled. */
  pgClient: pg.Pool;
  /** The status table, e.g. `flowcraft_statuses` or `schema.flowcraft_statuses`; needs its (status, updated_at) index. */
  statusTableName: string;
  /** A run `running` and not updated for this long is stalled. */
  stalledThresholdSeconds: number;
  /** Most runs handled per pass. Default 100. */
  batchSize?: number;
  logger?: EngineLogger;
}

const QUALIFIED_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

/** Quotes `table` or `schema.table`; anything else is refused (it is spliced into SQL). */
function quoteTableName(name: string): string {
  if (!QUALIFIED_NAME.test(name)) throw new Error(`statusTableName "${name}" is not a table name (letters, digits, _; optionally schema-qualified)`);
  return name
    .split(".")
    .map((part) => `"${part}"`)
    .join(".");
}

/**
 * The reconciler of the RabbitMQ/PostgreSQL transport (the seed's interface): finds runs
 * `running` and not updated for `stalledThresholdSeconds` through the status table's
 * (status, updated_at) index, and for each takes a PostgreSQL advisory lock on a connection
 * held while the run is reconciled, so two reconcilers never resume the same run at once.
 * The engine then re-checks the stall under the run's lease (a run resumed meanwhile, or a
 * stall already handled, is skipped) and re-enqueues exactly the ready nodes.
 */
export function createRabbitMqReconciler(options: RabbitMqReconcilerOptions): Reconciler {
  const { pgClient: pool } = options;
  const findStalledSql = `SELECT run_id, updated_at FROM ${quoteTableName(options.statusTableName)}
    WHERE status = 'running' AND updated_at < now() - make_interval(secs => $1)
    ORDER BY updated_at LIMIT $2`;
  /** Connections holding a per-run lock, by the lease handed to the generic reconciler. */
  const held = new Map<Lease, { client: pg.PoolClient; onError: () => void }>();
  let tokens = 0;

  return createReconciler({
    engine: options.adapter,
    stalledThresholdSeconds: options.stalledThresholdSeconds,
    batchSize: options.batchSize,
    logger: options.logger,
    store: {
      async findStalledRuns(olderThanSeconds, limit) {
        const { rows } = await pool.query<{ run_id: string; updated_at: Date }>(findStalledSql, [olderThanSeconds, limit]);
        return rows.map((r) => ({ runId: r.run_id, updatedAt: r.updated_at }));
      },
    },
    coordination: {
      /** `pg_try_advisory_lock` on a checked-out connection; `undefined` if another session holds it. */
      async acquireLease(key) {
        const client = await pool.connect();
        // A connection dropped while held releases the lock server-side; the release below then destroys it.
        const onError = () => undefined;
        client.on("error", onError);
        try {
          const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked", [advisoryKey(key)]);
          if (!rows[0]?.locked) {
            client.off("error", onError);
            client.release();
            return undefined;
          }
        } catch (error) {
          // The no-op listener stays: the connection is destroyed.
          client.release(error instanceof Error ? error : new Error(String(error)));
          throw error;
        }
        const lease: Lease = { key, fencingToken: ++tokens, expiresAt: new Date(8.64e15) };
        held.set(lease, { client, onError });
        return lease;
      },
      async releaseLease(lease) {
        const holder = held.get(lease);
        if (!holder) return;
        held.delete(lease);
        const { client, onError } = holder;
        let failure: Error | undefined;
        try {
          await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [advisoryKey(lease.key)]);
        } catch (error) {
          failure = error instanceof Error ? error : new Error(String(error));
        }
        // NOTE: a failed unlock destroys the connection, which frees the lock all the same
        // (keeping the no-op listener then, so a late error of the dying connection is harmless).
        if (!failure) client.off("error", onError);
        client.release(failure);
      },
    },
  });
}

/** Namespaced, so the per-run locks cannot collide with other advisory locks on the server (relay, migrations). */
function advisoryKey(key: string): string {
  return `taskflow:${key}`;
}
