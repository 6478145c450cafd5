/**
 * A worker process for the crash proof (conformance-crash.integration.test.ts): main.ts's
 * start-up from the same environment (env.ts, WORKFLOW_TRANSPORT picks the transport),
 * plus the test's own names and PROOF_EFFECT_DELAY_MS, which makes every node effect write
 * wait that long so nodes are in flight when the test kills this process.
 * - Both transports: PROOF_EVENTS_TOPIC (the Kafka transport's events; the RabbitMQ
 *   transport's outbox relay publishes there).
 * - `kafka`: PROOF_JOBS_TOPIC and PROOF_DEAD_LETTER_TOPIC.
 * - `rabbitmq`: RABBITMQ_JOBS_QUEUE and DATABASE_URL, set explicitly (the test's queue and
 *   schema), never env.ts's defaults, the stack's own.
 * Test-only: never run in production.
 */
import { jsonLinesLogger } from "@taskflow/kafka";
import { env } from "../env.ts";
import { startWorker, type Worker } from "../worker.ts";
import { workerConfigFromEnv } from "../worker-config-from-env.ts";
import { slowEffects } from "./proof-support.ts";

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required (WORKFLOW_TRANSPORT=${env.WORKFLOW_TRANSPORT})`);
  return value;
};

const workerId = env.WORKER_ID ?? `proof-${process.pid}`;
const logger = jsonLinesLogger({ component: "worker", workerId }, env.LOG_LEVEL);
const delayMs = Number(process.env.PROOF_EFFECT_DELAY_MS ?? 0);
if (delayMs > 0) slowEffects(() => delayMs);

const eventsTopic = required("PROOF_EVENTS_TOPIC");
// CRITICAL: a proof process must not consume the stack's own jobs (topic or queue) or write its state.
if (env.WORKFLOW_TRANSPORT === "rabbitmq") for (const name of ["RABBITMQ_JOBS_QUEUE", "DATABASE_URL"]) required(name);
const topics =
  env.WORKFLOW_TRANSPORT === "kafka" ? { jobsTopic: required("PROOF_JOBS_TOPIC"), deadLetterTopic: required("PROOF_DEAD_LETTER_TOPIC"), eventsTopic } : { eventsTopic };

const holder: { worker?: Worker } = {};
let stopping = false;
const stop = (exitCode: number) => {
  if (stopping) return;
  stopping = true;
  (holder.worker?.stop() ?? Promise.resolve()).then(
    () => process.exit(exitCode),
    () => process.exit(1),
  );
};
process.once("SIGTERM", () => stop(0));
holder.worker = await startWorker({
  // As main.ts: a lost RabbitMQ connection stops the process non-zero.
  ...workerConfigFromEnv(env, workerId, logger, () => stop(1)),
  // The proof steers this process only through its jobs; control topics stay off.
  control: undefined,
  ...topics,
});
