/**
 * A worker process for the crash proof (proofs-crash.integration.test.ts): main.ts's
 * start-up from the same environment (env.ts), plus the test's own topics
 * (PROOF_JOBS_TOPIC, PROOF_DEAD_LETTER_TOPIC, PROOF_EVENTS_TOPIC) and
 * PROOF_EFFECT_DELAY_MS, which makes every node effect write wait that long so nodes
 * are in flight when the test kills this process. Test-only: never run in production.
 */
import { parseContactPoints } from "@taskflow/cassandra";
import { jsonLinesLogger } from "@taskflow/kafka";
import { env } from "../env.ts";
import { startWorker } from "../worker.ts";
import { slowEffects } from "./proof-support.ts";

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const workerId = env.WORKER_ID ?? `proof-${process.pid}`;
const logger = jsonLinesLogger({ component: "worker", workerId }, env.LOG_LEVEL);
const delayMs = Number(process.env.PROOF_EFFECT_DELAY_MS ?? 0);
if (delayMs > 0) slowEffects(() => delayMs);

const worker = await startWorker({
  workerId,
  brokers: env.KAFKA_BROKERS.split(",").map((b) => b.trim()),
  registryUrl: env.SCHEMA_REGISTRY_URL,
  cassandra: { contactPoints: parseContactPoints(env.CASSANDRA_CONTACT_POINTS), port: env.CASSANDRA_PORT, localDataCenter: env.CASSANDRA_LOCAL_DC },
  redisUrl: env.REDIS_URL,
  redisKeyPrefix: env.WORKER_REDIS_KEY_PREFIX,
  groupId: env.WORKER_GROUP_ID,
  concurrency: env.WORKER_CONCURRENCY,
  http: { host: env.WORKER_HTTP_HOST, port: env.WORKER_HTTP_PORT },
  jobsTopic: required("PROOF_JOBS_TOPIC"),
  deadLetterTopic: required("PROOF_DEAD_LETTER_TOPIC"),
  eventsTopic: required("PROOF_EVENTS_TOPIC"),
  reconcile: { stalledThresholdSeconds: env.WORKER_STALLED_THRESHOLD_SECONDS, intervalMs: env.WORKER_RECONCILE_INTERVAL_MS },
  logger,
});
process.once("SIGTERM", () => {
  void worker.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
