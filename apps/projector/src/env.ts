import { z } from "zod";

/** `host:port`, comma-separated, as kafkajs wants them. */
const brokerList = z
  .string()
  .min(1)
  .transform((value) => value.split(",").map((broker) => broker.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, "each broker must be host:port")).min(1));

/**
 * The projector's configuration, parsed once at start-up (main.ts); nothing else in the
 * app reads process.env.
 */
const projectorEnvSchema = z.object({
  /** Kafka bootstrap brokers, comma-separated `host:port`. */
  KAFKA_BROKERS: brokerList.default(["127.0.0.1:9092"]),
  /** Confluent-compatible registry API (Apicurio's ccompat endpoint). */
  SCHEMA_REGISTRY_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:8081/apis/ccompat/v7"),
  /** Cassandra contact points, comma-separated hosts. */
  CASSANDRA_CONTACT_POINTS: z.string().min(1).default("127.0.0.1"),
  CASSANDRA_PORT: z.coerce.number().int().min(1).max(65_535).default(9042),
  CASSANDRA_LOCAL_DC: z.string().min(1).default("datacenter1"),
  /** Where `kafka/` lives when the projector runs away from the repository checkout. */
  TASKFLOW_CONTRACTS_DIR: z.string().min(1).optional(),
  /**
   * The projection's consumer group. Run any number of projectors with the same group
   * (partitions are shared out); never two groups at once (they would write the same rows).
   */
  PROJECTOR_GROUP_ID: z.string().min(1).default("taskflow-analytics-projector"),
  /**
   * The run-status projection's consumer group (taskflow-workflow-events). Like the
   * analytics group: any number of projectors in it, never a second group writing the
   * same tables.
   */
  PROJECTOR_RUNS_GROUP_ID: z.string().min(1).default("taskflow-run-projector"),
  /**
   * Longest a run waits for the event store to hold an event that arrived after a later
   * one, before it is folded without it (logged as an error; a rebuild repairs it).
   */
  PROJECTOR_RUNS_GAP_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  /**
   * Records per logged batch (counts, ids and offset together). ~20 B per id plus ~50 B per
   * changed count: Cassandra warns above 5 KiB and refuses batches above 50 KiB.
   */
  PROJECTOR_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(100),
  /** How long the group waits for a silent projector before handing its partitions to another. */
  PROJECTOR_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(10_000),
  /** `/health` and `/metrics`; port 0 picks a free port (logged at start-up). */
  PROJECTOR_HTTP_HOST: z.string().min(1).default("127.0.0.1"),
  PROJECTOR_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(3200),
  /** Longest a SIGTERM/SIGINT waits for the batch in flight and the disconnects. */
  PROJECTOR_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

export type ProjectorEnv = z.infer<typeof projectorEnvSchema>;

/** Parses `source`; throws one error naming every variable that does not parse. */
export function parseProjectorEnv(source: Readonly<Record<string, string | undefined>>): ProjectorEnv {
  // An empty value means "not set" (e.g. `TASKFLOW_CONTRACTS_DIR=` in a shell script).
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const result = projectorEnvSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`invalid projector environment: ${problems}`);
  }
  return result.data;
}

export const env: ProjectorEnv = parseProjectorEnv(process.env);
