/**
 * `npm run cql -- "<statements>"` or `npm run cql -- -f file.cql` or CQL on stdin.
 * There is no cqlsh on these machines; this runs the same text through
 * cassandra-driver so the README's queries work as written.
 */
import { readFileSync } from "node:fs";
import { connectCassandra, parseContactPoints } from "./client.ts";
import { splitCqlStatements } from "./cql-script.ts";
import { formatRows } from "./format-rows.ts";

async function readInput(args: string[]): Promise<string> {
  if (args[0] === "-f" && args[1]) return readFileSync(args[1], "utf8");
  if (args.length > 0) return args.join(" ");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<void> {
  const script = await readInput(process.argv.slice(2));
  const statements = splitCqlStatements(script);
  if (statements.length === 0) throw new Error('no CQL given: npm run cql -- "SELECT ..."');
  // NOTE: a CLI, not an app: it reads the same variables the apps' env.ts files define.
  const client = await connectCassandra({
    contactPoints: parseContactPoints(process.env.CASSANDRA_CONTACT_POINTS ?? "127.0.0.1"),
    port: Number(process.env.CASSANDRA_PORT ?? 9042),
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? "datacenter1",
  });
  try {
    for (const statement of statements) {
      console.log(`cql> ${statement}`);
      const result = await client.execute(statement, [], { prepare: false });
      console.log(formatRows(result));
    }
  } finally {
    await client.shutdown();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
