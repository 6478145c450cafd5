import { log } from "./lib/log";

/**
 * Node start-up: parses the environment, then starts the long-lived tracking
 * producer, which connects in the background (pages are served meanwhile).
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
  startTracking(env);
  // NOTE: no signal handler: `next start` exits on SIGTERM/SIGINT by itself, and
  // every send already resolved on the broker's ack, so no buffered event is lost.
}
