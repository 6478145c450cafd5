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
