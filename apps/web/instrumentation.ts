/**
 * Next runs `register()` once per server process, before it serves requests.
 * NOTE: NEXT_RUNTIME is set by Next itself and inlined at build, not configuration,
 * so it is the one variable read outside env.ts; the guard keeps the Node-only
 * start-up (Kafka client, process.exit) out of the edge bundle.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startNodeServer } = await import("./instrumentation-node");
    await startNodeServer();
  }
}
