import { NATIVE_DATABASE_URL, NATIVE_RABBITMQ_URL, databaseUrlSchema, rabbitMqUrlSchema } from "@taskflow/workflow-adapters";
import { z } from "zod";

/**
 * Where the services are, as seen from this script and as seen from Kafka
 * Connect (in Docker, Connect reaches Cassandra as `cassandra`, not 127.0.0.1).
 * Defaults are the native stack's (scripts/stack).
 */
const setupEnvSchema = z.object({
  KAFKA_BROKERS: z.string().default("127.0.0.1:9092"),
  SCHEMA_REGISTRY_URL: z.url().default("http://127.0.0.1:8081/apis/ccompat/v7"),
  CONNECT_URL: z.url().default("http://127.0.0.1:8083"),
  CASSANDRA_CONTACT_POINTS: z.string().default("127.0.0.1"),
  CASSANDRA_PORT: z.coerce.number().int().positive().default(9042),
  CASSANDRA_LOCAL_DC: z.string().default("datacenter1"),
  /** The registry's v2 API as Connect's Avro converter reaches it. */
  CONNECT_REGISTRY_V2_URL: z.url().default("http://127.0.0.1:8081/apis/registry/v2"),
  /** Cassandra as Connect's sink reaches it; defaults to CASSANDRA_CONTACT_POINTS. */
  CONNECT_CASSANDRA_CONTACT_POINTS: z.string().optional(),
  SETUP_WAIT_SECONDS: z.coerce.number().int().positive().default(180),
  /** The RabbitMQ/PostgreSQL transport's database; migrated when configured (see parseSetupEnv). */
  DATABASE_URL: databaseUrlSchema().optional(),
  /** The RabbitMQ/PostgreSQL transport's broker; its jobs queues are declared when configured. */
  RABBITMQ_URL: rabbitMqUrlSchema().optional(),
  /** Must match the worker's RABBITMQ_JOBS_QUEUE. */
  RABBITMQ_JOBS_QUEUE: z.string().min(1).default("flowcraft-jobs"),
});

export type SetupEnv = z.infer<typeof setupEnvSchema>;

/**
 * Parses the setup's environment. PostgreSQL and RabbitMQ are configured when
 * DATABASE_URL / RABBITMQ_URL is set, or, unset, when the setup runs against the native
 * stack (neither KAFKA_BROKERS nor CASSANDRA_CONTACT_POINTS set: the same rule by which
 * `npm start` starts the local stack, which includes both); otherwise they stay undefined
 * and are skipped, so a deployment with external Kafka and Cassandra only needs neither.
 */
export function parseSetupEnv(source: NodeJS.ProcessEnv): SetupEnv {
  const result = setupEnvSchema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid setup environment: ${problems}`);
  }
  const nativeStack = source.KAFKA_BROKERS === undefined && source.CASSANDRA_CONTACT_POINTS === undefined;
  return {
    ...result.data,
    DATABASE_URL: result.data.DATABASE_URL ?? (nativeStack ? NATIVE_DATABASE_URL : undefined),
    RABBITMQ_URL: result.data.RABBITMQ_URL ?? (nativeStack ? NATIVE_RABBITMQ_URL : undefined),
  };
}
