import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type cassandra from "cassandra-driver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findContractsDir } from "@taskflow/events";
import { splitCqlStatements } from "@taskflow/cassandra";
import { createProducer, createSchemaRegistry, jsonLinesLogger, silentLogger, type Producer } from "@taskflow/kafka";
import type { RunEvent } from "@taskflow/workflow";
import { WorkflowEventPublisher, toWorkflowEventRecord, type RunEventContext } from "@taskflow/workflow-adapters";
import { eventually, services, testCassandra } from "../../../../tests/support/services.ts";
import { projectRun, runDay, type RunStatusRow } from "./run-projection.ts";
import { startRunProjector, type RunProjector } from "./run-projector.ts";
import { CassandraRunProjectionStore } from "./run-status-store.ts";

/**
 * The run projection against the real stack: WorkflowEvents published with the worker's
 * own publisher (out of order, duplicated, one run's middle held back) go through Kafka
 * to Connect's event store and to a live run projector of our own group; the projection
 * rows it writes are the fold of each run's events, each with the transport that ran it
 * (one run's events are published as the rabbitmq transport's outbox relay publishes them). Then the projection is truncated and
 * rebuilt from the event store alone, with the root `npm run projections:rebuild`, and
 * the rebuilt rows equal the live ones.
 */
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const PREFIX = `it-runproj-${randomUUID().slice(0, 8)}`;
const CONTEXT: RunEventContext = { workflowId: "employee-onboarding", workflowVersion: "1.0.0", actor: "system:it" };
/** Connect writing the event store, then the projection catching up. */
const PIPELINE_MS = 60_000;

let producer: Producer;
let publisher: WorkflowEventPublisher;
/** Publishes as the rabbitmq transport's relay does: events stamped `transport: rabbitmq`. */
let rabbitMqPublisher: WorkflowEventPublisher;
let db: cassandra.Client;
let store: CassandraRunProjectionStore;
let projector: RunProjector | undefined;

beforeAll(async () => {
  producer = await createProducer({ clientId: "run-projection-it", brokers: [...services.kafkaBrokers], logger: silentLogger });
  const registry = createSchemaRegistry({ url: services.registryUrl });
  publisher = await WorkflowEventPublisher.create({ producer, registry });
  rabbitMqPublisher = await WorkflowEventPublisher.create({ producer, registry, transport: "rabbitmq" });
  db = await testCassandra();
  // The tables, as `npm run setup` creates them (idempotent), should this stack predate them.
  for (const statement of splitCqlStatements(readFileSync(`${findContractsDir()}/cassandra/008-workflow-run-projection.cql`, "utf8"))) {
    await db.execute(statement, [], { prepare: false });
  }
  store = new CassandraRunProjectionStore(db);
});

afterAll(async () => {
  await projector?.stop();
  await producer?.disconnect();
  await db?.shutdown();
});

type Draft = [type: RunEvent["type"], nodeId?: string, payload?: unknown];

/** A run's events, seq 1, 2, 3..., 10 ms apart from `base`. */
function run(name: string, base: number, ...drafts: Draft[]): RunEvent[] {
  const runId = `${PREFIX}-${name}`;
  return drafts.map(([type, nodeId, payload], i) => ({
    runId,
    type,
    ...(nodeId ? { nodeId, attempt: 1 } : {}),
    correlationId: `corr-${runId}`,
    occurredAt: new Date(base + i * 10),
    ...(payload === undefined ? {} : { payload }),
    sequence: i + 1,
  }));
}

const at = (events: RunEvent[], ...seqs: number[]) => seqs.map((seq) => events[seq - 1]!);

async function storedSeqs(runId: string): Promise<number[]> {
  const result = await db.execute("SELECT seq FROM taskflow.workflow_events_by_run WHERE run_id = ?", [runId], { prepare: true });
  return result.rows.map((row) => Number(row.get("seq")));
}

/** The run's row by day, as the web would read it (its day's partition, this run's row). */
async function byDayRow(row: RunStatusRow): Promise<Record<string, unknown> | undefined> {
  const result = await db.execute(
    "SELECT day, created_at, run_id, workflow_id, workflow_version, status, status_reason, updated_at, last_seq, transport FROM taskflow.workflow_runs_by_day WHERE day = ? AND created_at = ? AND run_id = ?",
    [runDay(row), row.createdAt, row.runId],
    { prepare: true },
  );
  const found = result.first();
  if (!found) return undefined;
  return Object.fromEntries(found.keys().map((key) => [key, key === "day" || key === "last_seq" ? String(found.get(key)) : found.get(key)]));
}

/** Every projection row of the runs, status and by day. */
async function snapshot(runIds: string[]): Promise<Map<string, { status: RunStatusRow | null; byDay: Record<string, unknown> | undefined }>> {
  const rows = new Map<string, { status: RunStatusRow | null; byDay: Record<string, unknown> | undefined }>();
  for (const runId of runIds) {
    const status = await store.loadRow(runId);
    rows.set(runId, { status, byDay: status ? await byDayRow(status) : undefined });
  }
  return rows;
}

describe("the run-status projection", () => {
  it("projects live from Kafka, out of order and duplicated, and rebuilds the same rows from the event store alone", async () => {
    projector = await startRunProjector({
      brokers: [...services.kafkaBrokers],
      registryUrl: services.registryUrl,
      cassandra: services.cassandra,
      // A group of its own, starting at the end of the topic: only this test's events.
      groupId: `it-run-projector-${randomUUID()}`,
      fromBeginning: false,
      sessionTimeoutMs: 6_000,
      gapWaitMs: PIPELINE_MS,
      logger: jsonLinesLogger({ service: "run-projector-it" }, "error"),
    });
    // Positioned (the first fetch resolved "the end") before anything is published.
    await eventually("the run projector to fetch", async () => (projector!.health().ok ? true : undefined), 30_000);

    const base = Date.now();
    const completed = run("completed", base,
      ["RUN_CREATED", undefined, { input: { employeeId: "e-1" } }],
      ["NODE_SCHEDULED", "provision-identity"], ["NODE_STARTED", "provision-identity"], ["NODE_COMPLETED", "provision-identity", { action: "default" }],
      ["NODE_SCHEDULED", "send-welcome-email"], ["NODE_SKIPPED", "create-chat-account"], ["NODE_STARTED", "send-welcome-email"], ["NODE_COMPLETED", "send-welcome-email"],
      ["RUN_COMPLETED"]);
    const failed = run("failed", base + 1,
      ["RUN_CREATED"], ["NODE_SCHEDULED", "provision-identity"], ["NODE_STARTED", "provision-identity"], ["NODE_FAILED", "provision-identity", { error: { message: "directory down" } }],
      ["NODE_RETRIED", "provision-identity", { delayMs: 100 }], ["NODE_SCHEDULED", "provision-identity"], ["NODE_STARTED", "provision-identity"], ["NODE_FAILED", "provision-identity"],
      ["RUN_FAILED", undefined, { failure: { nodeId: "provision-identity", message: "provision-identity failed after 2 attempts" } }]);
    const cancelled = run("cancelled", base + 2,
      ["RUN_CREATED"], ["NODE_SCHEDULED", "provision-identity"], ["RUN_PAUSED", undefined, { reason: "waiting for HR" }], ["RUN_RESUMED", undefined, { reason: "HR answered", ready: [] }],
      ["NODE_STARTED", "provision-identity"], ["RUN_CANCELLED", undefined, { reason: "offer withdrawn" }]);
    const paused = run("paused", base + 3,
      ["RUN_CREATED"], ["NODE_SCHEDULED", "provision-identity"], ["NODE_STARTED", "provision-identity"], ["NODE_COMPLETED", "provision-identity"], ["NODE_SCHEDULED", "send-welcome-email"],
      ["RUN_PAUSED", undefined, { reason: "approval needed" }]);
    const shuffled = run("shuffled", base + 4,
      ["RUN_CREATED"], ["NODE_SCHEDULED", "a"], ["NODE_STARTED", "a"], ["NODE_COMPLETED", "a"], ["NODE_SCHEDULED", "b"], ["NODE_STARTED", "b"], ["NODE_COMPLETED", "b"], ["RUN_COMPLETED"]);
    const late = run("late", base + 5,
      ["RUN_CREATED"], ["NODE_SCHEDULED", "a"], ["NODE_STARTED", "a"], ["NODE_COMPLETED", "a"], ["RUN_COMPLETED"]);
    const onRabbitMq = run("rabbitmq", base + 6,
      ["RUN_CREATED"], ["NODE_SCHEDULED", "a"], ["NODE_STARTED", "a"], ["NODE_COMPLETED", "a"], ["RUN_COMPLETED"]);
    const all = [completed, failed, cancelled, paused, shuffled, late, onRabbitMq];
    const runIds = all.map((events) => events[0]!.runId);
    const transportOf = (runId: string) => (runId === onRabbitMq[0]!.runId ? "rabbitmq" : "kafka");

    // 1. The late run's seq 3 is held back: the projection reaches seq 4 and must wait for it.
    await publisher.publish(at(late, 1, 2, 4, 5), CONTEXT);
    await eventually("Connect to store the late run's seqs 1, 2, 4, 5", async () => ((await storedSeqs(late[0]!.runId)).length === 4 ? true : undefined), PIPELINE_MS);
    // 2. Everything else: in order, out of order within a send, whole sends repeated.
    await publisher.publish(completed, CONTEXT);
    await publisher.publish(failed, CONTEXT);
    await publisher.publish(at(cancelled, 1, 2, 3, 5, 4, 6, 3), CONTEXT);
    await publisher.publish(paused, CONTEXT);
    await publisher.publish(at(shuffled, 2, 1, 4, 3, 3, 8, 5, 7, 6, 1), CONTEXT);
    await publisher.publish(completed.slice(3, 7), CONTEXT); // a re-publish after a lost ack
    await publisher.publish(at(late, 3, 2), CONTEXT);
    await rabbitMqPublisher.publish(onRabbitMq, CONTEXT);

    // 3. Connect has the whole history of every run; the live projection has every row.
    for (const events of all) {
      const runId = events[0]!.runId;
      await eventually(`Connect to store ${runId}`, async () => ((await storedSeqs(runId)).length === events.length ? true : undefined), PIPELINE_MS);
      await eventually(`the projection of ${runId} to reach seq ${events.length}`, async () => ((await store.loadRow(runId))?.lastSeq === events.length ? true : undefined), PIPELINE_MS);
    }
    // The records after the last ones the rows needed (the late run's 3 and 2) are consumed too.
    const published = 4 + completed.length + failed.length + 7 + paused.length + 10 + 4 + 2 + onRabbitMq.length;
    const { events: counted } = projector.metrics;
    await eventually("the projector to consume every record", async () => (counted.applied - counted.fromStore + counted.duplicates >= published ? true : undefined), PIPELINE_MS);
    const live = await snapshot(runIds);

    // 4. Each row is the fold of its run's events, and the row by day agrees with it.
    const statuses = Object.fromEntries([...live].map(([runId, rows]) => [runId.slice(PREFIX.length + 1), [rows.status?.status, rows.status?.statusReason]]));
    expect(statuses).toEqual({
      completed: ["completed", null],
      failed: ["failed", "provision-identity failed after 2 attempts"],
      cancelled: ["cancelled", "offer withdrawn"],
      paused: ["paused", "approval needed"],
      shuffled: ["completed", null],
      late: ["completed", null],
      rabbitmq: ["completed", null],
    });
    for (const events of all) {
      const runId = events[0]!.runId;
      const { status, byDay } = live.get(runId)!;
      // What the publisher put on the topic, folded in order.
      const expected = projectRun(events.map((event) => toWorkflowEventRecord(event, CONTEXT, transportOf(runId))));
      expect(expected!.transport, runId).toBe(transportOf(runId));
      expect(status, runId).toEqual(expected);
      expect(byDay, runId).toEqual({
        day: runDay(expected!),
        created_at: expected!.createdAt,
        run_id: runId,
        workflow_id: "employee-onboarding",
        workflow_version: "1.0.0",
        status: expected!.status,
        status_reason: expected!.statusReason,
        updated_at: expected!.updatedAt,
        last_seq: String(events.length),
        transport: transportOf(runId),
      });
    }
    expect(live.get(`${PREFIX}-failed`)!.status!.nodeStates).toEqual({ "provision-identity": "failed" });
    expect(live.get(`${PREFIX}-paused`)!.status!.nodeStates).toEqual({ "provision-identity": "completed", "send-welcome-email": "scheduled" });
    expect(live.get(`${PREFIX}-completed`)!.status!.nodeStates).toEqual({ "provision-identity": "completed", "send-welcome-email": "completed", "create-chat-account": "skipped" });
    const { metrics } = projector;
    expect(metrics.gapWaits, "the late run waited for its seq 3").toBeGreaterThanOrEqual(1);
    expect(metrics.events.fromStore, "seq 3 of the late run came from the event store").toBeGreaterThanOrEqual(1);
    expect(metrics.gapsSkipped).toBe(0);
    expect(metrics.events.duplicates, "redeliveries changed nothing").toBeGreaterThanOrEqual(9);
    expect(metrics.events.poison).toBe(0);

    // 5. No live projector any more: what follows is the rebuild's alone.
    await projector.stop();
    projector = undefined;

    // 6. Drop the projection and rebuild it from the event store, with the root script.
    await db.execute("TRUNCATE taskflow.workflow_run_status", [], { prepare: false });
    await db.execute("TRUNCATE taskflow.workflow_runs_by_day", [], { prepare: false });
    expect([...(await snapshot(runIds)).values()].every((rows) => rows.status === null)).toBe(true);
    const since = runDay({ createdAt: new Date(base) });
    const rebuild = spawnSync("npm", ["run", "-s", "projections:rebuild", "--", "--since", since], { cwd: repoRoot, encoding: "utf8", timeout: 120_000 });
    expect(rebuild.status, `${rebuild.stdout}\n${rebuild.stderr}`).toBe(0);
    const summary = /rebuild: (\d+) runs, (\d+) events folded from the event store .* in (\d+) ms/.exec(rebuild.stdout);
    expect(summary, rebuild.stdout).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThanOrEqual(all.length);
    expect(Number(summary![2])).toBeGreaterThanOrEqual(all.reduce((n, events) => n + events.length, 0));

    // 7. The rebuilt rows are the live rows.
    const rebuilt = await snapshot(runIds);
    expect(rebuilt).toEqual(live);

    // 8. A write that folded less never overwrites one that folded more (USING TIMESTAMP <last_seq>).
    const stale = projectRun(completed.slice(0, 3).map((event) => toWorkflowEventRecord(event, CONTEXT)))!;
    await store.writeRow(stale);
    expect(await store.loadRow(stale.runId)).toEqual(live.get(stale.runId)!.status);
    const writetime = await db.execute("SELECT writetime(status) AS written FROM taskflow.workflow_run_status WHERE run_id = ?", [stale.runId], { prepare: true });
    expect(Number(writetime.first()!.get("written"))).toBe(completed.length);
  }, 240_000);
});
