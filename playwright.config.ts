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
  webServer: {
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
});
