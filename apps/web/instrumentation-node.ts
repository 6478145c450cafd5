import { log } from "./lib/log";

/**
 * Node start-up: parses the environment, then starts the long-lived clients, the
 * tracking producer and Cassandra (app data), which connect in the background
 * (pages are served meanwhile; /api/health says when both are ready).
 */
export async function startNodeServer(): Promise<void> {
  let env;
  try {
    ({ env } = await import("./env"));
  } catch (error) {
    // CRITICAL: Next would log this and go on answering 500s; a bad configuration
    // must stop start-up instead, with the message naming the variable.
    log.error("invalid configuration, not starting", { error });
    process.exit(1);
  }
  const { startTracking } = await import("./lib/tracking/server");
  let tracking;
  try {
    tracking = await startTracking(env);
  } catch (error) {
    // CRITICAL: without its outbox, tracking would lose every event Kafka does not take.
    log.error("tracking outbox cannot be opened, not starting", { dir: env.TRACKING_OUTBOX_DIR, error });
    process.exit(1);
  }
  const { startCassandra } = await import("./lib/cassandra/server");
  startCassandra(env);
  // Workflow commands (/runs): one publisher per server, connecting in the background.
  const { startWorkflowControl } = await import("./lib/workflows/control-server");
  startWorkflowControl(env);
  // NOTE: SIGTERM/SIGINT need no flush: `next start` finishes in-flight requests
  // then exits, and track() answers only once an
  // event is acknowledged by Kafka or fsynced in the outbox (lib/tracking/
  // tracking-service.ts); the relay sends the rest after the restart. This handler
  // only reports what waits, and does not delay Next's own exit.
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => log.info("shutting down; the tracking outbox keeps what Kafka has not acknowledged", { signal, outbox: tracking.outboxDepth }));
  }
}
