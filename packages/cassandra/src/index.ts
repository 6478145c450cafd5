export { connectCassandra, parseContactPoints, type CassandraConnectionOptions } from "./client.ts";
export { splitCqlStatements } from "./cql-script.ts";
export { applyCqlFolder } from "./apply-cql.ts";
export { formatRows } from "./format-rows.ts";
