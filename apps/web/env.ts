import { z } from "zod";

/** `host:port`, comma-separated, as kafkajs wants them. */
const brokerList = z
  .string()
  .min(1)
  .transform((value) => value.split(",").map((broker) => broker.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, "each broker must be host:port")).min(1));

/**
 * The web app's configuration, parsed once at start-up (instrumentation.ts imports
 * it first); nothing else in the app reads process.env.
 */
const webEnvSchema = z.object({
  /** Kafka bootstrap brokers, comma-separated `host:port`. */
  KAFKA_BROKERS: brokerList.default(["127.0.0.1:9092"]),
  /** Confluent-compatible registry API (Apicurio's ccompat endpoint). */
  SCHEMA_REGISTRY_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:8081/apis/ccompat/v7"),
  /** Cassandra contact points, comma-separated hosts (app data and analytics). */
  CASSANDRA_CONTACT_POINTS: z.string().min(1).default("127.0.0.1"),
  CASSANDRA_PORT: z.coerce.number().int().min(1).max(65_535).default(9042),
  CASSANDRA_LOCAL_DC: z.string().min(1).default("datacenter1"),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default("redis://127.0.0.1:6379"),
  /** Where `kafka/` lives when the server runs away from the repository checkout. */
  TASKFLOW_CONTRACTS_DIR: z.string().min(1).optional(),
  /** Longest a tracking server action waits for Kafka's acknowledgement. */
  TRACKING_SEND_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(1000),
  /** Folder of the tracking outbox (events waiting for Kafka; must survive restarts); relative to the server's cwd. */
  TRACKING_OUTBOX_DIR: z.string().min(1).default(".outbox"),
  /** How long a login lasts: the session row's TTL and the cookie's max-age (default 7 days). */
  SESSION_TTL_SECONDS: z.coerce.number().int().min(300).max(2_592_000).default(604_800),
});

export type WebEnv = z.infer<typeof webEnvSchema>;

/** Parses `source`; throws one error naming every variable that does not parse. */
export function parseWebEnv(source: Readonly<Record<string, string | undefined>>): WebEnv {
  // An empty value means "not set" (e.g. `TASKFLOW_CONTRACTS_DIR=` in a shell script).
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const result = webEnvSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`invalid web environment: ${problems}`);
  }
  return result.data;
}

export const env: WebEnv = parseWebEnv(process.env);
