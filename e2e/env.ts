import { z } from "zod";

/**
 * The browser tests' configuration, parsed once (playwright.config.ts and the
 * specs import it). Cassandra settings use the same names and defaults as the apps.
 */
const e2eEnvSchema = z.object({
  /** Where the web app answers; `next start` is launched there when nothing answers. */
  E2E_BASE_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:3000"),
  CASSANDRA_CONTACT_POINTS: z.string().min(1).default("127.0.0.1"),
  CASSANDRA_PORT: z.coerce.number().int().min(1).max(65_535).default(9042),
  CASSANDRA_LOCAL_DC: z.string().min(1).default("datacenter1"),
  /**
   * The outbox spec (e2e/outbox.spec.ts) stops and restarts Kafka with scripts/stack
   * and runs its own `next start`: these say which stack. Same names and defaults as
   * apps/web/env.ts and scripts/stack/lib.sh; export the same values for a second stack.
   */
  KAFKA_BROKERS: z.string().min(1).default("127.0.0.1:9092"),
  SCHEMA_REGISTRY_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:8081/apis/ccompat/v7"),
  /** The port scripts/stack/down.sh stops Kafka on; must be the port in KAFKA_BROKERS. */
  STACK_KAFKA_PORT: z.coerce.number().int().min(1).max(65_535).default(9092),
  /**
   * The projector's /health port (apps/projector's PROJECTOR_HTTP_PORT): playwright.config
   * starts it there, or uses the one that answers (e.g. `npm start`'s), so /runs lists
   * live statuses from its run projection.
   */
  E2E_PROJECTOR_PORT: z.coerce.number().int().min(1).max(65_535).default(3200),
  /** Where the outbox spec's own web server listens (apart from E2E_BASE_URL's). */
  E2E_OUTBOX_PORT: z.coerce.number().int().min(1).max(65_535).default(3107),
  /** Set by scripts/test.sh: also write Playwright's JSON report to this file. */
  PLAYWRIGHT_JSON_OUTPUT_NAME: z.string().min(1).optional(),
  CI: z.enum(["true", "false"]).optional(),
});

export type E2eEnv = z.infer<typeof e2eEnvSchema>;

function parseE2eEnv(source: Readonly<Record<string, string | undefined>>): E2eEnv {
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const result = e2eEnvSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`invalid e2e environment: ${problems}`);
  }
  return result.data;
}

export const e2eEnv = parseE2eEnv(process.env);
