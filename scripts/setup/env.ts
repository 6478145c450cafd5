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
});

export type SetupEnv = z.infer<typeof setupEnvSchema>;

export function parseSetupEnv(source: NodeJS.ProcessEnv): SetupEnv {
  const result = setupEnvSchema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid setup environment: ${problems}`);
  }
  return result.data;
}
