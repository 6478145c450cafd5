import cassandra from "cassandra-driver";

/** Where and how to reach Cassandra; callers read these from their app's env.ts. */
export interface CassandraConnectionOptions {
  contactPoints: string[];
  port: number;
  localDataCenter: string;
  /** Optional default keyspace for unqualified table names. */
  keyspace?: string;
}

/** Creates a connected client. Resolves only once the driver reached a node. */
export async function connectCassandra(options: CassandraConnectionOptions): Promise<cassandra.Client> {
  const client = new cassandra.Client({
    contactPoints: options.contactPoints,
    protocolOptions: { port: options.port },
    localDataCenter: options.localDataCenter,
    keyspace: options.keyspace,
    // NOTE: every statement we run is prepared; the driver caches the preparation.
    queryOptions: { prepare: true, consistency: cassandra.types.consistencies.localOne },
  });
  await client.connect();
  return client;
}

/** Parses `host1,host2` into a contact point list, rejecting empty entries. */
export function parseContactPoints(value: string): string[] {
  const points = value
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (points.length === 0) throw new Error("CASSANDRA_CONTACT_POINTS must name at least one host");
  return points;
}
