import { WorkflowEngine, type NodeExecutionContext } from "@taskflow/workflow";
import { describe, expect, it } from "vitest";
import { InMemoryCoordinationStore, InMemoryEventSink, InMemoryJobQueue, InMemoryRunStore } from "../../../../packages/workflow/src/engine-test-fakes.ts";
import type { EffectRecorder } from "./effects.ts";
import { EXAMPLE_BLUEPRINT_IDS, loadExampleBlueprint, workerRegistry, type ExampleBlueprintId } from "./index.ts";
import { offboardingNodes, offboardingSubject } from "./offboarding.ts";
import { InvalidProfileChangeError, parseProfileChange, profileUpdateNodes } from "./profile-update.ts";
import { transferAction, transferOf } from "./transfer.ts";

/** Keeps every effect's detail, once per (run, node, effect id), as the Cassandra table does. */
class RecordedEffects implements EffectRecorder {
  readonly rows = new Map<string, { runId: string; nodeId: string; kind: string; attempt: number; detail?: unknown }>();

  async recordEffect(runId: string, nodeId: string, effectId: string, effect: { kind: string; attempt: number; detail?: unknown }): Promise<boolean> {
    const key = `${runId}/${nodeId}/${effectId}`;
    if (this.rows.has(key)) return false;
    this.rows.set(key, { runId, nodeId, kind: effect.kind, attempt: effect.attempt, detail: effect.detail });
    return true;
  }

  of(runId: string): Record<string, { kind: string; attempt: number; detail?: unknown }> {
    const rows = [...this.rows.values()].filter((row) => row.runId === runId).sort((a, b) => a.nodeId.localeCompare(b.nodeId));
    return Object.fromEntries(rows.map(({ nodeId, kind, attempt, detail }) => [nodeId, { kind, attempt, detail }]));
  }
}

function engineWithFakes() {
  const store = new InMemoryRunStore();
  const queue = new InMemoryJobQueue();
  const effects = new RecordedEffects();
  const engine = new WorkflowEngine({
    registry: workerRegistry(effects),
    store,
    coordination: new InMemoryCoordinationStore(),
    jobs: queue,
    events: new InMemoryEventSink(),
    blueprints: EXAMPLE_BLUEPRINT_IDS.map(loadExampleBlueprint),
  });
  void queue.consume((job) => engine.handleJob(job));
  /** Runs a workflow to its end with every job delivered twice (concurrently). */
  const run = async (blueprintId: ExampleBlueprintId, input: unknown) => {
    const { runId } = await engine.startRun({ blueprint: loadExampleBlueprint(blueprintId), input, correlationId: `corr-${blueprintId}` });
    await queue.deliverAll({ copies: 2 });
    const state = (await store.readRun(runId))!;
    const nodes = (status: string) => [...new Set(state.nodeResults.filter((r) => r.status === status).map((r) => r.nodeId))].sort();
    return { runId, status: state.status, completed: nodes("completed"), skipped: nodes("skipped"), failed: state.nodeResults.filter((r) => r.status === "failed").map((r) => `${r.nodeId}#${r.attempt}`), effects: effects.of(runId), store };
  };
  return { run };
}

function context(input: unknown, overrides: Partial<NodeExecutionContext> = {}): NodeExecutionContext {
  return { runId: "run-1", nodeId: "node", attempt: 1, params: {}, input, context: {}, signal: new AbortController().signal, ...overrides };
}

describe("worker registry", () => {
  it("implements every node of every example blueprint, each `uses` registered once", () => {
    const registry = workerRegistry(new RecordedEffects());
    for (const id of EXAMPLE_BLUEPRINT_IDS) expect(registry.missingImplementations(loadExampleBlueprint(id)), id).toEqual([]);
  });
});

describe("offboarding nodes", () => {
  it("derives hasEquipment from the data, defaulting to whether equipment is listed", () => {
    expect(offboardingSubject({ employeeId: "e-1", hasEquipment: true }, "r")).toMatchObject({ hasEquipment: true, equipment: [], email: "e-1@example.com" });
    expect(offboardingSubject({ employeeId: "e-1", equipment: ["laptop", 7] }, "r")).toMatchObject({ hasEquipment: true, equipment: ["laptop"] });
    expect(offboardingSubject({ employeeId: "e-1", hasEquipment: false, equipment: ["laptop"] }, "r").hasEquipment).toBe(false);
    expect(offboardingSubject(null, "r")).toMatchObject({ employeeId: "r", hasEquipment: false, lastDay: null });
  });

  it("records no effect once the attempt is aborted", async () => {
    const effects = new RecordedEffects();
    const controller = new AbortController();
    controller.abort(new Error("timed out"));
    await expect(offboardingNodes(effects)["revoke-access"]!(context({ employeeId: "e-1" }, { signal: controller.signal }))).rejects.toThrow("timed out");
    expect(effects.rows.size).toBe(0);
  });

  it("runs every step when the employee has equipment; each effect once", async () => {
    const result = await engineWithFakes().run("employee-offboarding", { employeeId: "e-1", lastDay: "2026-12-31", equipment: ["laptop", "badge"] });
    expect(result.status).toBe("completed");
    expect(result.skipped).toEqual([]);
    expect(result.effects).toEqual({
      "archive-mailbox": { kind: "mailbox-archived", attempt: 1, detail: { mailbox: "e-1@example.com", retentionDays: 365 } },
      "disable-identity": { kind: "identity-disabled", attempt: 1, detail: { userId: "user-e-1", disabled: true } },
      "final-payroll": { kind: "final-payroll-scheduled", attempt: 1, detail: { employeeId: "e-1", payrollRunId: "final-e-1", lastDay: "2026-12-31" } },
      "notify-hr": { kind: "hr-notified", attempt: 1, detail: { steps: ["archive-mailbox", "disable-identity", "final-payroll", "reclaim-equipment"], equipmentReclaimed: true } },
      "reclaim-equipment": { kind: "equipment-return-requested", attempt: 1, detail: { employeeId: "e-1", items: ["laptop", "badge"] } },
      "revoke-access": { kind: "access-revoked", attempt: 1, detail: { employeeId: "e-1", sessions: "all", tokens: "all" } },
    });
  });

  it("skips equipment reclaim without equipment, and HR is still notified", async () => {
    const result = await engineWithFakes().run("employee-offboarding", { employeeId: "e-2", hasEquipment: false });
    expect(result.status).toBe("completed");
    expect(result.skipped).toEqual(["reclaim-equipment"]);
    expect(Object.keys(result.effects)).toEqual(["archive-mailbox", "disable-identity", "final-payroll", "notify-hr", "revoke-access"]);
    expect(result.effects["notify-hr"]?.detail).toEqual({ steps: ["archive-mailbox", "disable-identity", "final-payroll"], equipmentReclaimed: false });
  });
});

describe("transfer nodes", () => {
  it("picks the branch from the departments", () => {
    expect(transferAction(transferOf({ fromDepartment: "eng", toDepartment: "eng" }, "r"))).toBe("same-department");
    expect(transferAction(transferOf({ fromDepartment: "eng" }, "r"))).toBe("same-department");
    expect(transferAction(transferOf({ fromDepartment: "eng", toDepartment: "sales" }, "r"))).toBe("new-department");
  });

  it("moves to a new team in a new department, skips the access-group branch, notifies both managers once", async () => {
    const transfer = { employeeId: "e-3", fromDepartment: "eng", toDepartment: "sales", fromTeam: "platform", toTeam: "emea", fromManagerId: "m-1", toManagerId: "m-2" };
    const result = await engineWithFakes().run("employee-transfer", transfer);
    expect(result.status).toBe("completed");
    expect(result.completed).toEqual(["move-to-new-team", "notify-managers", "update-org-chart"]);
    expect(result.skipped).toEqual(["update-access-groups"]);
    expect(result.effects).toEqual({
      "move-to-new-team": { kind: "team-moved", attempt: 1, detail: { employeeId: "e-3", department: "sales", team: "emea", accessGroups: ["dept:sales", "team:emea"] } },
      "notify-managers": { kind: "managers-notified", attempt: 1, detail: { employeeId: "e-3", managers: ["m-1", "m-2"], action: "new-department" } },
      "update-org-chart": { kind: "org-chart-updated", attempt: 1, detail: { employeeId: "e-3", department: "sales", team: "emea", managerId: "m-2", action: "new-department" } },
    });
  });

  it("updates access groups within the department and notifies a shared manager once", async () => {
    const result = await engineWithFakes().run("employee-transfer", { employeeId: "e-4", fromDepartment: "eng", toDepartment: "eng", fromTeam: "platform", toTeam: "data", fromManagerId: "m-1", toManagerId: "m-1" });
    expect(result.status).toBe("completed");
    expect(result.skipped).toEqual(["move-to-new-team"]);
    expect(result.effects["update-access-groups"]).toEqual({ kind: "access-groups-updated", attempt: 1, detail: { employeeId: "e-4", add: ["team:data"], remove: ["team:platform"] } });
    expect(result.effects["notify-managers"]?.detail).toEqual({ employeeId: "e-4", managers: ["m-1"], action: "same-department" });
  });
});

describe("profile update nodes", () => {
  it("rejects invalid changes with a non-retryable error naming each problem", () => {
    expect(parseProfileChange({ employeeId: "e-5", changes: { title: "Lead" }, orgId: "o" })).toEqual({ employeeId: "e-5", changes: { title: "Lead" } });
    const cases: [unknown, string][] = [
      [{ employeeId: "e-5", changes: {} }, "changes: changes must name at least one field"],
      [{ employeeId: "e-5", changes: { salary: "1" } }, "changes: Unrecognized key"],
      [{ changes: { title: " " } }, "employeeId: Invalid input"],
    ];
    for (const [bad, problem] of cases) {
      expect(() => parseProfileChange(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ name: InvalidProfileChangeError.name, retryable: false, message: expect.stringContaining(problem) }));
    }
  });

  it("fails the profile update while the store is busy, then records it once", async () => {
    const effects = new RecordedEffects();
    const apply = profileUpdateNodes(effects)["apply-profile-update"]!;
    const input = { employeeId: "e-5", changes: { title: "Lead" }, simulate: { profileStoreBusyAttempts: 1 } };
    await expect(apply(context(input, { attempt: 1 }))).rejects.toThrow("profile store busy (attempt 1)");
    expect(effects.rows.size).toBe(0);
    await apply(context(input, { attempt: 2 }));
    await apply(context(input, { attempt: 3 }));
    expect([...effects.rows.values()]).toEqual([{ runId: "run-1", nodeId: "node", kind: "profile-updated", attempt: 2, detail: { employeeId: "e-5", changes: { title: "Lead" } } }]);
  });

  it("validates, applies, syncs and notifies", async () => {
    const result = await engineWithFakes().run("employee-update", { employeeId: "e-6", changes: { title: "Lead", phone: "+44 1" } });
    expect(result.status).toBe("completed");
    expect(result.skipped).toEqual(["queue-directory-sync"]);
    expect(result.effects).toEqual({
      "apply-profile-update": { kind: "profile-updated", attempt: 1, detail: { employeeId: "e-6", changes: { title: "Lead", phone: "+44 1" } } },
      "notify-employee": { kind: "employee-notified", attempt: 1, detail: { employeeId: "e-6", template: "profile-updated", directory: "synced" } },
      "sync-directory": { kind: "directory-synced", attempt: 1, detail: { employeeId: "e-6", fields: ["phone", "title"] } },
    });
  });

  it("retries a busy profile store and falls back to queueing the directory sync", async () => {
    const result = await engineWithFakes().run("employee-update", { employeeId: "e-7", changes: { location: "Leeds" }, simulate: { profileStoreBusyAttempts: 1, directoryUnavailable: true } });
    expect(result.status).toBe("completed");
    expect(result.failed).toEqual(["apply-profile-update#1", "sync-directory#1", "sync-directory#2"]);
    expect(result.completed).toEqual(["apply-profile-update", "notify-employee", "queue-directory-sync", "validate-change"]);
    expect(result.effects).toEqual({
      "apply-profile-update": { kind: "profile-updated", attempt: 2, detail: { employeeId: "e-7", changes: { location: "Leeds" } } },
      "notify-employee": { kind: "employee-notified", attempt: 1, detail: { employeeId: "e-7", template: "profile-updated", directory: "queued" } },
      "queue-directory-sync": { kind: "directory-sync-queued", attempt: 1, detail: { employeeId: "e-7", fields: ["location"] } },
    });
  });

  it("fails the run on an invalid change without retrying or writing anything", async () => {
    const result = await engineWithFakes().run("employee-update", { employeeId: "e-8", changes: { salary: "lots" } });
    expect(result.status).toBe("failed");
    expect(result.failed).toEqual(["validate-change#1"]);
    expect(result.effects).toEqual({});
  });
});
