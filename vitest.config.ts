import { defineConfig } from "vitest/config";

/**
 * Two projects: `unit` (pure logic, no services) and `integration` (the real
 * stack: Kafka, registry, Connect, Cassandra, Redis). Playwright specs under
 * e2e/ run separately (npm run test:e2e).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/**/*.test.ts", "apps/**/*.test.ts", "tests/**/*.test.ts", "scripts/**/*.test.ts", "bench/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/*.integration.test.ts", "**/.next/**"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["packages/**/*.integration.test.ts", "apps/**/*.integration.test.ts", "tests/**/*.integration.test.ts"],
          exclude: ["**/node_modules/**", "**/.next/**"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // NOTE: the suites share one broker and one Connect worker on a 2-core
          // machine; running files one at a time keeps timings meaningful.
          fileParallelism: false,
        },
      },
    ],
  },
});
