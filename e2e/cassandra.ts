import type cassandra from "cassandra-driver";
import { connectCassandra, parseContactPoints } from "@taskflow/cassandra";
import { e2eEnv } from "./env.ts";

/** A Cassandra client for the specs' assertions, on the stack e2eEnv points at. */
export function connectE2eCassandra(): Promise<cassandra.Client> {
  return connectCassandra({
    contactPoints: parseContactPoints(e2eEnv.CASSANDRA_CONTACT_POINTS),
    port: e2eEnv.CASSANDRA_PORT,
    localDataCenter: e2eEnv.CASSANDRA_LOCAL_DC,
  });
}
