import { defineConfig, devices } from "@playwright/test";
import { e2eEnv } from "./e2e/env.ts";

const baseURL = e2eEnv.E2E_BASE_URL;
const port = new URL(baseURL).port || "3000";

export default defineConfig({
  testDir: "e2e",
  // Page views land in Cassandra through Kafka Connect: allow for the pipeline.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: e2eEnv.CI === "true",
  retries: 0,
  // `list` prints each test and a summary line; scripts/test.sh also asks for JSON.
  reporter: e2eEnv.PLAYWRIGHT_JSON_OUTPUT_NAME ? [["list"], ["json"]] : "list",
  outputDir: "test-results/e2e",
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        // Debian's Chromium: Playwright's own browser builds cannot be downloaded here.
        launchOptions: {
          executablePath: "/usr/bin/chromium",
          // The network is closed: keep Chromium from trying to phone home.
          args: ["--disable-background-networking", "--disable-component-update", "--disable-sync"],
        },
      },
    },
  ],
  webServer: [
    {
      // The production server (built beforehand by scripts/test.sh): `next dev` runs
      // effects twice and would track every view twice.
      command: "npm run start -w apps/web",
      env: { PORT: port },
      // Ready means tracking is connected, so the first page view is not lost.
      url: new URL("/api/health", baseURL).toString(),
      reuseExistingServer: true,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      // The projector, as scripts/start.sh runs it: /runs lists runs of both transports
      // from its run projection (workflow_runs_by_day), so it must fold the events the
      // specs' runs produce. Its default consumer groups, as in production.
      command: "npm start -w apps/projector",
      env: { PROJECTOR_HTTP_PORT: String(e2eEnv.E2E_PROJECTOR_PORT), LOG_LEVEL: "warn" },
      // /health answers 503 until both of its consumers are running.
      url: `http://127.0.0.1:${e2eEnv.E2E_PROJECTOR_PORT}/health`,
      reuseExistingServer: true,
      timeout: 60_000,
      // SIGTERM: it leaves its consumer groups, so the next start is not kept waiting.
      gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
      stdout: "pipe",
      stderr: "pipe",
    },
  ],
});
