import { connectCassandra, parseContactPoints } from "@taskflow/cassandra";
import { silentLogger } from "@taskflow/kafka";
import type cassandra from "cassandra-driver";
import { parseWebEnv } from "../../env";
import { CassandraService } from "../cassandra/cassandra-service";
import { installCassandraService } from "../cassandra/server";

/**
 * Integration tests reach the real Cassandra where the web app would (its env
 * variables and defaults). The tables come from kafka/cassandra/004-app.cql,
 * applied by scripts/setup-kafka.sh; tests keep apart by unique e-mails and ids.
 */
export async function connectTestCassandra(): Promise<cassandra.Client> {
  const env = parseWebEnv(process.env);
  return connectCassandra({
    contactPoints: parseContactPoints(env.CASSANDRA_CONTACT_POINTS),
    port: env.CASSANDRA_PORT,
    localDataCenter: env.CASSANDRA_LOCAL_DC,
  });
}

/** Installs `client` as the process's Cassandra, as instrumentation.ts would; returns the service (stop() shuts the client down). */
export async function installTestCassandra(client: cassandra.Client): Promise<CassandraService> {
  const service = new CassandraService({ connect: async () => client, logger: silentLogger });
  service.start();
  for (let i = 0; service.status !== "ready"; i++) {
    if (i > 100) throw new Error("test Cassandra service did not become ready");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  installCassandraService(service);
  return service;
}

/** An e-mail no other test (or run) uses. */
export function uniqueEmail(label: string): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}
