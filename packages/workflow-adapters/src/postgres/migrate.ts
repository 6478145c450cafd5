import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

/**
 * SQL migrations of the RabbitMQ/PostgreSQL transport's database (issue #6), applied by
 * scripts/setup. Numbered files (`001-workflow-state.sql`) in numeric order, each once,
 * each in its own transaction together with its `schema_migrations` row, so a failed file
 * leaves nothing half-applied and is retried by the next run. A session advisory lock
 * serialises migrators: of two setups started together, one applies, the other waits and
 * then finds nothing to do.
 */

/** The migrations shipped with this package. */
export const POSTGRES_MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/postgres/", import.meta.url));

/**
 * Key of the advisory lock held while migrating. Arbitrary but fixed: every TaskFlow
 * migrator, whatever its version, must use the same one.
 */
export const MIGRATION_LOCK_KEY = 7_260_611_006;

const MIGRATION_FILE = /^(\d+)-([a-z0-9][a-z0-9_-]*)\.sql$/;

/** One migration file. */
export interface Migration {
  /** Its number as written (`001`); applied in numeric order. */
  version: string;
  name: string;
  file: string;
  sql: string;
  /** sha256 of the file; an applied migration whose file changed is refused. */
  checksum: string;
}

export interface MigrateOptions {
  /** `postgres://user[:password]@host:port/database`; the database must exist (see `ensureDatabase`). */
  databaseUrl: string;
  /** Default {@link POSTGRES_MIGRATIONS_DIR}. */
  migrationsDir?: string;
  /** Longest wait for another migrator's lock. Default 120 s. */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Files applied by this run, in order. */
  applied: string[];
  /** Files found already applied. */
  unchanged: string[];
}

/** Reads and orders the migration files of `dir`; throws on a misnamed or duplicate number. */
export function loadMigrations(dir: string = POSTGRES_MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql"))) {
    const match = MIGRATION_FILE.exec(file);
    if (!match) throw new Error(`migration file ${file} in ${dir} is not named <number>-<name>.sql (lower case)`);
    const sql = readFileSync(join(dir, file), "utf8");
    migrations.push({ version: match[1]!, name: match[2]!, file, sql, checksum: createHash("sha256").update(sql).digest("hex") });
  }
  migrations.sort((a, b) => Number(a.version) - Number(b.version));
  for (let i = 1; i < migrations.length; i++) {
    if (Number(migrations[i]!.version) === Number(migrations[i - 1]!.version)) {
      throw new Error(`migrations ${migrations[i - 1]!.file} and ${migrations[i]!.file} share the number ${migrations[i]!.version}`);
    }
  }
  return migrations;
}

/** Applies the migrations not applied yet; idempotent. */
export async function migratePostgres(options: MigrateOptions): Promise<MigrateResult> {
  const migrations = loadMigrations(options.migrationsDir);
  const client = await connect(options.databaseUrl);
  try {
    await acquireLock(client, options.lockTimeoutMs ?? 120_000);
    // Under the lock, so two first runs cannot race on creating the table.
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: string; checksum: string }>("SELECT version, checksum FROM schema_migrations");
    const appliedChecksums = new Map(rows.map((r) => [Number(r.version), r.checksum]));
    const result: MigrateResult = { applied: [], unchanged: [] };
    for (const migration of migrations) {
      const checksum = appliedChecksums.get(Number(migration.version));
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new Error(
            `migration ${migration.file} was changed after it was applied to this database; ` +
              `restore it and put the change in a new, higher-numbered file`,
          );
        }
        result.unchanged.push(migration.file);
        continue;
      }
      await applyMigration(client, migration);
      result.applied.push(migration.file);
    }
    return result;
  } finally {
    // Ending the session also releases the advisory lock.
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates the database `databaseUrl` names when it does not exist, through the server's
 * `postgres` maintenance database (so the user needs CREATEDB there). Returns whether it
 * created it. Safe to run concurrently: a database created meanwhile counts as existing.
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!database) throw new Error("the PostgreSQL URL names no database (postgres://host:port/<database>)");
  try {
    await (await connect(databaseUrl)).end();
    return false;
  } catch (error) {
    if (!hasCode(error, "3D000")) throw error; // 3D000 invalid_catalog_name: it does not exist
  }
  url.pathname = "/postgres";
  const admin = await connect(url.toString());
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
    return true;
  } catch (error) {
    // 42P04 duplicate_database; 23505 when a concurrent CREATE DATABASE won the race.
    if (hasCode(error, "42P04") || hasCode(error, "23505")) return false;
    throw error;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function connect(databaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000, application_name: "taskflow-migrate" });
  // NOTE: a dropped connection surfaces as the failing query's rejection; without a
  // listener the client's 'error' event would crash the process instead.
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

async function acquireLock(client: pg.Client, timeoutMs: number): Promise<void> {
  await client.query(`SET lock_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
  } catch (error) {
    if (hasCode(error, "55P03")) {
      throw new Error(`another migration has held the migration lock for over ${timeoutMs / 1000}s; is a setup stuck?`);
    }
    throw error;
  }
  await client.query("RESET lock_timeout");
}

async function applyMigration(client: pg.Client, migration: Migration): Promise<void> {
  await client.query("BEGIN");
  try {
    // A query without parameters runs as a simple query: the file may hold many statements.
    await client.query(migration.sql);
    await client.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
      migration.version,
      migration.name,
      migration.checksum,
    ]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw new Error(`migration ${migration.file} failed and was rolled back: ${explain(error, migration.sql)}`);
  }
}

/** The server's message, with the line it points at when it gives a position. */
function explain(error: unknown, sql: string): string {
  if (!(error instanceof Error)) return String(error);
  const position = (error as { position?: string }).position;
  if (!position) return error.message;
  const line = sql.slice(0, Number(position)).split("\n").length;
  return `${error.message} (line ${line})`;
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}
