import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadMigrations, POSTGRES_MIGRATIONS_DIR } from "./migrate.ts";

const dirs: string[] = [];
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "taskflow-migrations-"));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("loadMigrations", () => {
  it("orders files by number, not by name", () => {
    const dir = folder({ "10-later.sql": "SELECT 10;", "2-second.sql": "SELECT 2;", "001-first.sql": "SELECT 1;", "notes.txt": "ignored" });
    expect(loadMigrations(dir).map((m) => [m.version, m.name])).toEqual([
      ["001", "first"],
      ["2", "second"],
      ["10", "later"],
    ]);
  });

  it("fingerprints each file's content", () => {
    const [a] = loadMigrations(folder({ "001-a.sql": "SELECT 1;" }));
    const [b] = loadMigrations(folder({ "001-a.sql": "SELECT 2;" }));
    expect(a!.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(a!.checksum).not.toBe(b!.checksum);
  });

  it("rejects a misnamed file and two files with one number", () => {
    expect(() => loadMigrations(folder({ "create-tables.sql": "" }))).toThrow(/create-tables\.sql .* not named <number>-<name>\.sql/);
    expect(() => loadMigrations(folder({ "001-A.sql": "" }))).toThrow(/not named/);
    expect(() => loadMigrations(folder({ "001-a.sql": "", "1-b.sql": "" }))).toThrow(/share the number/);
  });

  it("finds the package's own migrations, starting with the workflow state", () => {
    const migrations = loadMigrations(POSTGRES_MIGRATIONS_DIR);
    expect(migrations[0]).toMatchObject({ version: "001", file: "001-workflow-state.sql" });
    for (const table of ["flowcraft_contexts", "flowcraft_statuses", "flowcraft_node_results", "flowcraft_node_scheduled", "flowcraft_node_effects", "workflow_event_outbox"]) {
      expect(migrations[0]!.sql).toContain(`CREATE TABLE IF NOT EXISTS ${table} (`);
    }
  });
});
