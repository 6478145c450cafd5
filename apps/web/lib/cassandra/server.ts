import { connectCassandra, parseContactPoints } from "@taskflow/cassandra";
import type cassandra from "cassandra-driver";
import type { WebEnv } from "../../env";
import { log } from "../log";
import { CassandraService } from "./cassandra-service";

/**
 * TRICKY: as for tracking (lib/tracking/server.ts), instrumentation.ts is bundled
 * apart from routes and actions, so the one client per server process lives on
 * globalThis under a registered symbol.
 */
const SLOT = Symbol.for("taskflow.web.cassandra");
type Slot = { [SLOT]?: CassandraService };

/** The service started by instrumentation.ts, if any. */
export function getCassandraService(): CassandraService | undefined {
  return (globalThis as Slot)[SLOT];
}

/** Installs `service` as the process's Cassandra service (start-up; tests install their own). */
export function installCassandraService(service: CassandraService | undefined): void {
  (globalThis as Slot)[SLOT] = service;
}

/**
 * The process's connected Cassandra client, for app data and the analytics
 * pages alike. Throws DatabaseUnavailableError until it is connected.
 */
export function getCassandra(): cassandra.Client {
  const service = getCassandraService();
  if (!service) throw new Error("Cassandra was not started (instrumentation.ts)");
  return service.client();
}

/** Starts the process's Cassandra service once; later calls return the same one. */
export function startCassandra(env: WebEnv): CassandraService {
  const existing = getCassandraService();
  if (existing) return existing;
  const options = {
    contactPoints: parseContactPoints(env.CASSANDRA_CONTACT_POINTS),
    port: env.CASSANDRA_PORT,
    localDataCenter: env.CASSANDRA_LOCAL_DC,
  };
  const service = new CassandraService({ connect: () => connectCassandra(options), logger: log });
  installCassandraService(service);
  log.info("cassandra connecting", { contactPoints: options.contactPoints, port: options.port });
  service.start();
  return service;
}
