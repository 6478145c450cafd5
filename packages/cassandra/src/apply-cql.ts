import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type cassandra from "cassandra-driver";
import { splitCqlStatements } from "./cql-script.ts";

/**
 * Applies every `*.cql` file of a folder in name order. The files use
 * `IF NOT EXISTS`, so applying them twice changes nothing.
 */
export async function applyCqlFolder(client: cassandra.Client, folder: string): Promise<number> {
  const files = readdirSync(folder)
    .filter((f) => f.endsWith(".cql"))
    .sort();
  let applied = 0;
  for (const file of files) {
    for (const statement of splitCqlStatements(readFileSync(join(folder, file), "utf8"))) {
      // NOTE: schema changes are not prepared (nothing to bind) and must settle
      // before the next statement refers to them; execute awaits schema agreement.
      await client.execute(statement, [], { prepare: false });
      applied++;
    }
  }
  return applied;
}
