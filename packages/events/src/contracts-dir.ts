import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Absolute path of the repository's `kafka/` folder, where the contracts live.
 * NOTE: `TASKFLOW_CONTRACTS_DIR` exists for bundled servers (Next.js) whose module
 * paths no longer point into the repository; callers pass it, this module reads no env.
 */
export function findContractsDir(override?: string): string {
  if (override) return resolve(override);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "kafka", "topics.json");
    if (existsSync(candidate)) return join(dir, "kafka");
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // Fall back to the working directory (e.g. `next start` run from apps/web or the root).
  const cwd = process.cwd();
  for (const base of [cwd, resolve(/*turbopackIgnore: true*/ cwd, ".."), resolve(/*turbopackIgnore: true*/ cwd, "../..")]) {
    if (existsSync(join(base, "kafka", "topics.json"))) return join(base, "kafka");
  }
  throw new Error("Cannot find the kafka/ contracts folder (kafka/topics.json); pass its path explicitly.");
}
