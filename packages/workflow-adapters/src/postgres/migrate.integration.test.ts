import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { ensureDatabase, migratePostgres } from "./migrate.ts";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/taskflow";

/** Every test works in a database of its own, dropped afterwards. */
const databases: string[] = [];
function freshDatabaseUrl(): string {
  const name = `taskflow_it_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  databases.push(name);
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function query<R extends pg.QueryResultRow>(databaseUrl: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** Table name, column and type of every column in the public schema: the schema's shape. */
async function schemaShape(databaseUrl: string): Promise<string[]> {
  const rows = await query<{ c: string }>(
    databaseUrl,
    `SELECT table_name || '.' || column_name || ':' || data_type AS c FROM information_schema.columns
     WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
  );
  const indexes = await query<{ c: string }>(databaseUrl, "SELECT indexdef AS c FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname");
  return [...rows, ...indexes].map((r) => r.c);
}

const tempDirs: string[] = [];
function migrationsFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "taskflow-migrations-"));
  tempDirs.push(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

afterAll(async () => {
  const admin = new URL(DATABASE_URL);
  admin.pathname = "/postgres";
  for (const name of databases) await query(admin.toString(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe("PostgreSQL migrations", () => {
  it("creates the database once, also when two setups ask at the same time", async () => {
    const url = freshDatabaseUrl();
    const created = await Promise.all([ensureDatabase(url), ensureDatabase(url)]);
    expect(created.filter(Boolean)).toHaveLength(1);
    expect(await ensureDatabase(url)).toBe(false);
    expect(await query(url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });

  it("applies the package's migrations once; a second run changes nothing", async () => {
    const url = freshDatabaseUrl();
    await ensureDatabase(url);
    const first = await migratePostgres({ databaseUrl: url });
    expect(first).toEqual({ applied: ["001-workflow-state.sql"], unchanged: [] });
    const shape = await schemaShape(url);
    expect(shape).toEqual(
      expect.arrayContaining([
        "flowcraft_contexts.context_data:jsonb",
        "flowcraft_statuses.status_data:jsonb",
        "flowcraft_statuses.last_seq:bigint",
        "flowcraft_node_results.recorded_order:bigint",
        "workflow_event_outbox.published_at:timestamp with time zone",
        "CREATE INDEX flowcraft_statuses_status_updated_at_idx ON public.flowcraft_statuses USING btree (status, updated_at)",
        "CREATE INDEX workflow_event_outbox_unpublished_idx ON public.workflow_event_outbox USING btree (id) WHERE (published_at IS NULL)",
      ]),
    );

    const second = await migratePostgres({ databaseUrl: url });
    expect(second).toEqual({ applied: [], unchanged: ["001-workflow-state.sql"] });
    expect(await schemaShape(url)).toEqual(shape);
    expect(await query(url, "SELECT version, name FROM schema_migrations")).toEqual([{ version: "001", name: "workflow-state" }]);
  });

  it("applies each migration once when two migrators run at the same time", async () => {
    const url = freshDatabaseUrl();
    await ensureDatabase(url);
    // A slow first file keeps the lock held while the second migrator arrives.
    const dir = migrationsFolder({
      "001-slow.sql": "SELECT pg_sleep(0.5); CREATE TABLE counted (id int);",
      "002-insert.sql": "INSERT INTO counted VALUES (1);",
    });
    const results = await Promise.all([migratePostgres({ databaseUrl: url, migrationsDir: dir }), migratePostgres({ databaseUrl: url, migrationsDir: dir })]);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(["001-slow.sql", "002-insert.sql"]);
    expect(results.flatMap((r) => r.unchanged).sort()).toEqual(["001-slow.sql", "002-insert.sql"]);
    expect(await query(url, "SELECT count(*)::int AS n FROM counted")).toEqual([{ n: 1 }]);
  });

  it("rolls a failing migration back entirely, names it and the line, and retries it next time", async () => {
    const url = freshDatabaseUrl();
    await ensureDatabase(url);
    const good = "CREATE TABLE first_table (id int);";
    const dir = migrationsFolder({ "001-good.sql": good, "002-bad.sql": "CREATE TABLE half_done (id int);\nINSERT INTO missing_table VALUES (1);" });
    await expect(migratePostgres({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(
      /migration 002-bad\.sql failed and was rolled back: relation "missing_table" does not exist \(line 2\)/,
    );
    const tables = await query<{ t: string }>(url, "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
    expect(tables.map((r) => r.t)).toEqual(["first_table", "schema_migrations"]);

    writeFileSync(join(dir, "002-bad.sql"), "CREATE TABLE half_done (id int);");
    expect(await migratePostgres({ databaseUrl: url, migrationsDir: dir })).toEqual({ applied: ["002-bad.sql"], unchanged: ["001-good.sql"] });
  });

  it("refuses to run when an applied migration's file was edited", async () => {
    const url = freshDatabaseUrl();
    await ensureDatabase(url);
    const dir = migrationsFolder({ "001-a.sql": "CREATE TABLE a (id int);" });
    await migratePostgres({ databaseUrl: url, migrationsDir: dir });
    writeFileSync(join(dir, "001-a.sql"), "CREATE TABLE a (id bigint);");
    await expect(migratePostgres({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(/001-a\.sql was changed after it was applied/);
  });

  it("keeps the status table's constraints: a run has a known status and transport", async () => {
    const url = freshDatabaseUrl();
    await ensureDatabase(url);
    await migratePostgres({ databaseUrl: url });
    const insert = (status: string) =>
      query(url, "INSERT INTO flowcraft_statuses (run_id, status, workflow_id, workflow_version, correlation_id) VALUES ($1, $2, 'w', '1', 'c')", [
        randomUUID(),
        status,
      ]);
    await insert("running");
    await expect(insert("sleeping")).rejects.toThrow(/flowcraft_statuses_status_check/);
    // A result row needs its run by the end of the transaction.
    await expect(
      query(url, "INSERT INTO flowcraft_node_results (run_id, node_id, attempt, status, fencing_token) VALUES ('no-such-run', 'n', 1, 'completed', 1)"),
    ).rejects.toThrow(/flowcraft_node_results_run_fkey/);
  });
});
