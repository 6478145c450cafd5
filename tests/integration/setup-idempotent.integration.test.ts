import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { loadTopicCatalog, valueSubject } from "@taskflow/events";

const run = promisify(execFile);

describe("scripts/setup-kafka.sh", () => {
  it("succeeds again on a bootstrapped stack and changes nothing", async () => {
    const { stdout } = await run("bash", ["scripts/setup-kafka.sh"], { timeout: 180_000 });
    expect(stdout).toContain("setup: done");
    const catalog = loadTopicCatalog();
    // The workflow worker's topics (issue #4) are in the catalog, each consuming topic with its dead-letter topic.
    expect(catalog.map((t) => t.name)).toEqual(
      expect.arrayContaining(["taskflow-interactions", "taskflow-workflow-events", "taskflow-lifecycle", "taskflow-workflow-commands", "taskflow-workflow-jobs"]),
    );
    for (const topic of catalog) {
      expect(stdout).toContain(`topic ${topic.name}: unchanged`);
      if (topic.valueSchema) {
        const line = stdout.split("\n").find((l) => l.includes(`schema ${valueSubject(topic.name)}: id `));
        expect(line, `schema line for ${topic.name}`).toMatch(/: id \d+ \(BACKWARD\)$/);
      }
      if (topic.deadLetter) expect(stdout).toContain(`topic ${topic.deadLetter}: unchanged`);
    }
    expect(stdout).toMatch(/connector taskflow-interactions-cassandra-sink: unchanged/);
    expect(stdout).toMatch(/connector taskflow-workflow-events-cassandra-sink: unchanged/);
    expect(stdout).not.toMatch(/created|updated|→/);
  });
});
