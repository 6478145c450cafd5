import { describe, expect, it } from "vitest";
import type { CqlReader } from "../analytics/queries";
import { listRecentRuns, readRun, RUN_CQL } from "./run-queries";

const row = (values: Record<string, unknown>) => ({ get: (column: string) => values[column] });

/** Answers the run reads from fixed rows (by day, by run id), and records what was asked. */
function fakeReader(data: { days?: Record<string, Record<string, unknown>[]>; runs?: Record<string, Record<string, unknown>> }) {
  const calls: { query: string; params: unknown[]; prepare: boolean }[] = [];
  const reader: CqlReader = {
    async execute(query, params, options) {
      calls.push({ query, params, prepare: options.prepare });
      if (query === RUN_CQL.runsOfDay) return { rows: (data.days?.[params[0] as string] ?? []).slice(0, params[1] as number).map(row) };
      if (query === RUN_CQL.run) {
        const found = data.runs?.[params[0] as string];
        return { rows: found ? [row(found)] : [] };
      }
      throw new Error(`unexpected statement ${query}`);
    },
  };
  return { reader, calls };
}

const at = (iso: string) => new Date(iso);

describe("listRecentRuns", () => {
  it("reads today's and yesterday's partitions (UTC) and lists both transports' runs, newest created first", async () => {
    const { reader, calls } = fakeReader({
      days: {
        "2026-03-01": [{ run_id: "r-new", workflow_id: "employee-onboarding", status: "running", transport: "rabbitmq", created_at: at("2026-03-01T00:10:00Z"), updated_at: at("2026-03-01T00:10:02Z") }],
        "2026-02-28": [
          { run_id: "r-mid", workflow_id: "content-moderation", status: "completed", transport: "kafka", created_at: at("2026-02-28T23:59:00Z"), updated_at: at("2026-03-01T00:11:00Z") },
          { run_id: "r-old", workflow_id: "employee-update", status: "failed", transport: null, created_at: at("2026-02-28T08:00:00Z"), updated_at: at("2026-02-28T08:00:01Z") },
        ],
      },
    });
    const runs = await listRecentRuns(reader, 20, at("2026-03-01T00:30:00-00:00"));
    expect(runs).toEqual([
      { runId: "r-new", workflowId: "employee-onboarding", status: "running", transport: "rabbitmq", createdAt: "2026-03-01T00:10:00.000Z", updatedAt: "2026-03-01T00:10:02.000Z" },
      { runId: "r-mid", workflowId: "content-moderation", status: "completed", transport: "kafka", createdAt: "2026-02-28T23:59:00.000Z", updatedAt: "2026-03-01T00:11:00.000Z" },
      { runId: "r-old", workflowId: "employee-update", status: "failed", transport: null, createdAt: "2026-02-28T08:00:00.000Z", updatedAt: "2026-02-28T08:00:01.000Z" },
    ]);
    expect(calls.map((call) => call.params[0]).sort()).toEqual(["2026-02-28", "2026-03-01"]);
    expect(calls.every((call) => call.prepare && call.params[1] === 20)).toBe(true);
  });

  it("shows at most `limit` runs, today's before yesterday's", async () => {
    const runsOf = (day: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ run_id: `${day}-${i}`, status: "completed", transport: "kafka", created_at: at(`${day}T12:00:${String(59 - i).padStart(2, "0")}Z`), updated_at: at(`${day}T13:00:00Z`) }));
    const { reader } = fakeReader({ days: { "2026-03-01": runsOf("2026-03-01", 2), "2026-02-28": runsOf("2026-02-28", 5) } });
    const runs = await listRecentRuns(reader, 3, at("2026-03-01T18:00:00Z"));
    expect(runs.map((run) => run.runId)).toEqual(["2026-03-01-0", "2026-03-01-1", "2026-02-28-0"]);
  });
});

describe("readRun", () => {
  it("reads the run's projected status and transport", async () => {
    const { reader } = fakeReader({
      runs: {
        "r-1": {
          run_id: "r-1",
          workflow_id: "employee-onboarding",
          workflow_version: "1.0.0",
          status: "paused",
          status_reason: "waiting for HR",
          transport: "rabbitmq",
          created_at: at("2026-03-01T00:00:00Z"),
          updated_at: at("2026-03-01T00:00:05Z"),
          correlation_id: "c-1",
        },
      },
    });
    expect(await readRun(reader, "r-1")).toEqual({
      runId: "r-1",
      workflowId: "employee-onboarding",
      version: "1.0.0",
      status: "paused",
      statusReason: "waiting for HR",
      transport: "rabbitmq",
      createdAt: "2026-03-01T00:00:00.000Z",
      updatedAt: "2026-03-01T00:00:05.000Z",
      correlationId: "c-1",
    });
    expect(await readRun(reader, "r-unknown")).toBeNull();
  });
});
