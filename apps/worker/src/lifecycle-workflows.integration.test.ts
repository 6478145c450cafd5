import { randomUUID } from "node:crypto";
import { createProducer, createSchemaRegistry, silentLogger, type Producer } from "@taskflow/kafka";
import type { RunEvent } from "@taskflow/workflow";
import { ControlPublisher, runIdFor, type LifecycleEventDraft } from "@taskflow/workflow-adapters";
import type cassandra from "cassandra-driver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, services, testCassandra, testKafka } from "../../../tests/support/services.ts";
import { startWorker, type Worker } from "./worker.ts";

/**
 * Every lifecycle event type starts its workflow on the real stack: events published
 * (twice each, as a redelivery would) on this file's own lifecycle topic reach the
 * worker's lifecycle consumer, which starts one run per event; each run completes, its
 * node effects land in `taskflow.workflow_node_effects` once, and the branches its data
 * rules out are recorded skipped. Own topics (the catalog's schema subjects), own
 * consumer groups and Redis prefix.
 */
const kafka = testKafka("worker-lifecycle-it");
const suffix = randomUUID().slice(0, 8);
const topics = {
  jobs: `it-lifecycle-jobs-${suffix}`,
  jobsDlq: `it-lifecycle-jobs-dlq-${suffix}`,
  events: `it-lifecycle-events-${suffix}`,
  lifecycle: `it-lifecycle-${suffix}`,
  lifecycleDlq: `it-lifecycle-dlq-${suffix}`,
  commands: `it-lifecycle-commands-${suffix}`,
  commandsDlq: `it-lifecycle-commands-dlq-${suffix}`,
};
const eventsByRun = new Map<string, RunEvent[]>();
let worker: Worker;
let producer: Producer;
let publisher: ControlPublisher;
let cql: cassandra.Client;

/** Publishes the event twice (a redelivery) and waits until its run has ended. */
async function runOf(draft: Omit<LifecycleEventDraft, "eventId" | "orgId">): Promise<{ runId: string; correlationId: string }> {
  const eventId = randomUUID();
  const correlationId = `corr-${eventId}`;
  const event = { ...draft, eventId, correlationId, orgId: `org-${suffix}` };
  await publisher.publishLifecycleEvent(event);
  await publisher.publishLifecycleEvent(event);
  const runId = runIdFor("lifecycle", eventId);
  const status = await eventually(`run ${runId} (${draft.type}) to end`, async () => {
    const run = await worker.store.readRun(runId);
    return run && run.status !== "running" ? run.status : undefined;
  });
  expect(status, `run ${runId} (${draft.type})`).toBe("completed");
  await eventually(`RUN_COMPLETED of ${runId} published`, async () => (eventTypes(runId).includes("RUN_COMPLETED") ? true : undefined));
  return { runId, correlationId };
}

/** The run's effect rows as `node:kind@attempt`, sorted, read from Cassandra. */
async function effectRows(runId: string): Promise<string[]> {
  const rows = await cql.execute("SELECT node_id, kind, attempt FROM taskflow.workflow_node_effects WHERE run_id = ?", [runId], { prepare: true });
  return rows.rows.map((row) => `${String(row.get("node_id"))}:${String(row.get("kind"))}@${Number(row.get("attempt"))}`).sort();
}

async function nodesWithStatus(runId: string, status: "completed" | "skipped" | "failed"): Promise<string[]> {
  const run = await worker.store.readRun(runId);
  return (run?.nodeResults ?? []).filter((r) => r.status === status).map((r) => (status === "failed" ? `${r.nodeId}#${r.attempt}` : r.nodeId)).sort();
}

const eventTypes = (runId: string) => (eventsByRun.get(runId) ?? []).map((e) => (e.nodeId ? `${e.type}:${e.nodeId}` : e.type));

/** One RUN_CREATED (the second publication started nothing), one completion per node, one correlation id. */
function expectStartedOnce(runId: string, correlationId: string, completedNodes: string[]): void {
  const types = eventTypes(runId);
  expect(types.filter((t) => t === "RUN_CREATED")).toHaveLength(1);
  expect(types.filter((t) => t.startsWith("NODE_COMPLETED:")).sort()).toEqual(completedNodes.map((node) => `NODE_COMPLETED:${node}`).sort());
  expect(new Set(eventsByRun.get(runId)?.map((e) => e.correlationId))).toEqual(new Set([correlationId]));
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: Object.values(topics).map((topic) => ({ topic, numPartitions: topic.includes("dlq") ? 1 : 3, replicationFactor: 1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  cql = await testCassandra();
  worker = await startWorker({
    workerId: `it-lifecycle-${suffix}`,
    brokers: [...services.kafkaBrokers],
    registryUrl: services.registryUrl,
    cassandra: { ...services.cassandra, contactPoints: [...services.cassandra.contactPoints] },
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    redisKeyPrefix: `it:lifecycle:${suffix}:`,
    groupId: `it-lifecycle-${suffix}`,
    concurrency: 3,
    jobsTopic: topics.jobs,
    deadLetterTopic: topics.jobsDlq,
    eventsTopic: topics.events,
    logger: silentLogger,
    onEvents: (events) => {
      for (const event of events) eventsByRun.set(event.runId, [...(eventsByRun.get(event.runId) ?? []), event]);
    },
    control: {
      lifecycleTopic: topics.lifecycle,
      lifecycleDeadLetterTopic: topics.lifecycleDlq,
      commandsTopic: topics.commands,
      commandsDeadLetterTopic: topics.commandsDlq,
    },
  });
  producer = await createProducer({ clientId: `it-lifecycle-${suffix}`, brokers: [...services.kafkaBrokers], logger: silentLogger });
  publisher = await ControlPublisher.create({
    producer,
    registry: createSchemaRegistry({ url: services.registryUrl, clientId: `it-lifecycle-${suffix}` }),
    lifecycleTopic: topics.lifecycle,
    commandsTopic: topics.commands,
  });
});

afterAll(async () => {
  // NOTE: clients before services: the worker first, then what the test itself opened.
  await worker?.stop();
  await producer?.disconnect();
  await cql?.shutdown();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin.disconnect();
});

describe("lifecycle workflows (real Kafka, registry, Cassandra, Redis)", () => {
  it("employee.exit runs offboarding; without equipment the reclaim branch is skipped and HR is notified", async () => {
    const employeeId = `exit-${suffix}`;
    const { runId, correlationId } = await runOf({ type: "employee.exit", employeeId, data: { lastDay: "2026-12-31", hasEquipment: false } });
    expect(await nodesWithStatus(runId, "skipped")).toEqual(["reclaim-equipment"]);
    expect(await effectRows(runId)).toEqual([
      "archive-mailbox:mailbox-archived@1",
      "disable-identity:identity-disabled@1",
      "final-payroll:final-payroll-scheduled@1",
      "notify-hr:hr-notified@1",
      "revoke-access:access-revoked@1",
    ]);
    expectStartedOnce(runId, correlationId, ["revoke-access", "disable-identity", "archive-mailbox", "final-payroll", "notify-hr"]);
    expect(eventTypes(runId)).toContain("NODE_SKIPPED:reclaim-equipment");
  });

  it("employee.transfer to a new department moves the team, skips the access-group branch, notifies the managers", async () => {
    const data = { fromDepartment: "eng", toDepartment: "sales", fromTeam: "platform", toTeam: "emea", fromManagerId: "m-1", toManagerId: "m-2" };
    const { runId, correlationId } = await runOf({ type: "employee.transfer", employeeId: `transfer-${suffix}`, data });
    expect(await nodesWithStatus(runId, "skipped")).toEqual(["update-access-groups"]);
    expect(await effectRows(runId)).toEqual(["move-to-new-team:team-moved@1", "notify-managers:managers-notified@1", "update-org-chart:org-chart-updated@1"]);
    expectStartedOnce(runId, correlationId, ["update-org-chart", "move-to-new-team", "notify-managers"]);
  });

  it("employee.update retries the busy profile store and falls back to queueing the directory sync", async () => {
    const data = { changes: { title: "Staff Engineer" }, simulate: { profileStoreBusyAttempts: 1, directoryUnavailable: true } };
    const { runId, correlationId } = await runOf({ type: "employee.update", employeeId: `update-${suffix}`, data });
    expect(await nodesWithStatus(runId, "failed")).toEqual(["apply-profile-update#1", "sync-directory#1", "sync-directory#2"]);
    expect(await nodesWithStatus(runId, "skipped")).toEqual([]);
    expect(await effectRows(runId)).toEqual([
      "apply-profile-update:profile-updated@2",
      "notify-employee:employee-notified@1",
      "queue-directory-sync:directory-sync-queued@1",
    ]);
    expectStartedOnce(runId, correlationId, ["validate-change", "apply-profile-update", "queue-directory-sync", "notify-employee"]);
    expect(eventTypes(runId).filter((t) => t.startsWith("NODE_RETRIED:")).sort()).toEqual(["NODE_RETRIED:apply-profile-update", "NODE_RETRIED:sync-directory"]);
  });
});
