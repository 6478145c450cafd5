/**
 * The workflow worker's entry point. For now it only validates its configuration
 * and waits for a stop signal; the runtime (issue #4) plugs in here.
 */
import { env } from "./env.ts";

console.log(JSON.stringify({ level: "info", msg: "worker started (no workflows yet)", kafka: env.KAFKA_BROKERS }));

const stop = (signal: string) => {
  console.log(JSON.stringify({ level: "info", msg: "worker stopping", signal }));
  process.exit(0);
};
process.once("SIGTERM", () => stop("SIGTERM"));
process.once("SIGINT", () => stop("SIGINT"));
setInterval(() => {}, 1 << 30);
