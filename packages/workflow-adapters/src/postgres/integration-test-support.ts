import { randomUUID } from "node:crypto";
import pg from "pg";
import { ensureDatabase, migratePostgres } from "./migrate.ts";

/**
 * Helpers for this folder's integration tests: a throwaway schema per test file, migrated
 * through migrate.ts, so tests neither see nor disturb a worker (or its outbox relay) on
 * the stack's own tables.
 */

/** The stack's database (as the worker's env.ts defaults); the same variable points tests elsewhere. */
export const testDatabaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/taskflow";

export interface TestSchema {
  schema: string;
  /** `testDatabaseUrl` with `search_path` set to the schema. */
  url: string;
  /** A pool on the schema (idle-client errors ignored; queries still reject). */
  pool: pg.Pool;
  /** Another pool on the schema, for side-by-side processes. */
  newPool(max?: number): pg.Pool;
  /** Ends every pool made here and drops the schema. */
  drop(): Promise<void>;
}

/** Creates `it_<prefix>_<random>`, applies the migrations to it, and opens a pool on it. */
export async function createTestSchema(prefix: string): Promise<TestSchema> {
  await ensureDatabase(testDatabaseUrl);
  const schema = `it_${prefix}_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${admin.escapeIdentifier(schema)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testDatabaseUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  await migratePostgres({ databaseUrl: url.toString() });
  const pools: pg.Pool[] = [];
  const newPool = (max = 10) => {
    const pool = new pg.Pool({ connectionString: url.toString(), max });
    pool.on("error", () => undefined);
    pools.push(pool);
    return pool;
  };
  return {
    schema,
    url: url.toString(),
    pool: newPool(20),
    newPool,
    async drop() {
      await Promise.all(pools.map((pool) => pool.end().catch(() => undefined)));
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${client.escapeIdentifier(schema)} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
