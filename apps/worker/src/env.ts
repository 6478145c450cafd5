import { NATIVE_DATABASE_URL, NATIVE_RABBITMQ_URL, databaseUrlSchema, rabbitMqUrlSchema } from "@taskflow/workflow-adapters";
import { z } from "zod";

/** The worker's configuration, parsed once at start-up; nothing else reads process.env. */
const workerEnvSchema = z.object({
  KAFKA_BROKERS: z.string().min(1).default("127.0.0.1:9092"),
  SCHEMA_REGISTRY_URL: z.url().default("http://127.0.0.1:8081/apis/ccompat/v7"),
  CASSANDRA_CONTACT_POINTS: z.string().min(1).default("127.0.0.1"),
  CASSANDRA_PORT: z.coerce.number().int().positive().default(9042),
  CASSANDRA_LOCAL_DC: z.string().min(1).default("datacenter1"),
  REDIS_URL: z.url().default("redis://127.0.0.1:6379"),
  /**
   * Which transport runs the workflows: `kafka` (Kafka jobs, Cassandra run state; issue #4)
   * or `rabbitmq` (RabbitMQ jobs, PostgreSQL run state; issue #6). Redis coordinates both.
   */
  WORKFLOW_TRANSPORT: z.enum(["kafka", "rabbitmq"]).default("kafka"),
  /**
   * Which transport's workers start the runs of lifecycle events (`employee.*`): with
   * workers of both transports running, only these consume them, so an event starts one run.
   */
  WORKFLOW_LIFECYCLE_TRANSPORT: z.enum(["kafka", "rabbitmq"]).default("kafka"),
  /** The `rabbitmq` transport's broker. */
  RABBITMQ_URL: rabbitMqUrlSchema().default(NATIVE_RABBITMQ_URL),
  /** The `rabbitmq` transport's run state (and event outbox); migrated by `npm run setup`. */
  DATABASE_URL: databaseUrlSchema().default(NATIVE_DATABASE_URL),
  /** The durable jobs queue (its dead letters go to `<name>.dlq`); setup declares the same name. */
  RABBITMQ_JOBS_QUEUE: z
    .string()
    .min(1)
    .max(238, "is too long: RabbitMQ names are at most 255 bytes, with `.delay.<ms>` appended to it")
    .refine((name) => !name.startsWith("amq."), "starts with amq., which RabbitMQ reserves for itself")
    .default("flowcraft-jobs"),
  /** Unacknowledged jobs RabbitMQ hands this process at once (its consumer prefetch). */
  RABBITMQ_PREFETCH: z.coerce.number().int().min(1).max(1000).default(16),
  /**
   * Kafka consumer group of the workers; processes with the same id share the jobs and
   * control messages. Default `taskflow-workflow-worker`, `-rabbitmq` appended for that
   * transport (each transport's workers read every command).
   */
  WORKER_GROUP_ID: z.string().min(1).optional(),
  /** This process' name in logs and Kafka client ids; defaults to `<hostname>-<pid>`. */
  WORKER_ID: z.string().min(1).optional(),
  /** Jobs-topic partitions handled in parallel by this process. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(3),
  /** Where `/health` and `/metrics` listen. */
  WORKER_HTTP_HOST: z.string().min(1).default("127.0.0.1"),
  WORKER_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(3300),
  /** Prefix of the worker's Redis keys (leases, joins, claims). */
  WORKER_REDIS_KEY_PREFIX: z.string().min(1).default("taskflow:workflow:"),
  /** Consume lifecycle events and workflow commands in this process. */
  WORKER_CONSUME_CONTROL: z.enum(["true", "false"]).default("true"),
  /** Pause between reconciliation passes (stalled runs); 0 turns the periodic pass off. */
  WORKER_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
  /** A run `running` and not updated for this long is stalled (keep above the engine's 5 s heartbeat). */
  WORKER_STALLED_THRESHOLD_SECONDS: z.coerce.number().int().min(1).default(30),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export function parseWorkerEnv(source: NodeJS.ProcessEnv): WorkerEnv {
  const result = workerEnvSchema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid worker environment: ${problems}`);
  }
  return result.data;
}

export const env = parseWorkerEnv(process.env);
