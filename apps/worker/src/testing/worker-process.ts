/**
 * A worker process for the crash proof (proofs-crash.integration.test.ts): main.ts's
 * start-up from the same environment (env.ts), plus the test's own topics
 * (PROOF_JOBS_TOPIC, PROOF_DEAD_LETTER_TOPIC, PROOF_EVENTS_TOPIC) and
 * PROOF_EFFECT_DELAY_MS, which makes every node effect write wait that long so nodes
 * are in flight when the test kills this process. Test-only: never run in production.
 */
import { jsonLinesLogger } from "@taskflow/kafka";
import { env } from "../env.ts";
import { startWorker } from "../worker.ts";
import { workerConfigFromEnv } from "../worker-config-from-env.ts";
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
  ...workerConfigFromEnv(env, workerId, logger),
  // The proof steers this process only through its jobs; control topics stay off.
  control: undefined,
  jobsTopic: required("PROOF_JOBS_TOPIC"),
  deadLetterTopic: required("PROOF_DEAD_LETTER_TOPIC"),
  eventsTopic: required("PROOF_EVENTS_TOPIC"),
});
process.once("SIGTERM", () => {
  void worker.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
