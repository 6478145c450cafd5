import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("scripts/setup-kafka.sh", () => {
  it("succeeds again on a bootstrapped stack and changes nothing", async () => {
    const { stdout } = await run("bash", ["scripts/setup-kafka.sh"], { timeout: 180_000 });
    expect(stdout).toContain("setup: done");
    expect(stdout).toMatch(/topic taskflow-interactions: unchanged/);
    expect(stdout).toMatch(/topic dlq\.taskflow-interactions: unchanged/);
    expect(stdout).toMatch(/connector taskflow-interactions-cassandra-sink: unchanged/);
    expect(stdout).not.toMatch(/created|updated|→/);
  });
});
