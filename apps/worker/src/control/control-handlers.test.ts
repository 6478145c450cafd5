import { silentLogger } from "@taskflow/kafka";
import type { RunState } from "@taskflow/workflow";
import { LIFECYCLE_EVENT_TYPES, runIdFor, type WorkflowCommand } from "@taskflow/workflow-adapters";
import { describe, expect, it } from "vitest";
import { handleWorkflowCommand, type CommandTarget } from "./command-consumer.ts";
import { LIFECYCLE_WORKFLOWS, handleLifecycleEvent } from "./lifecycle-consumer.ts";

function target(runs: Record<string, RunState["status"]>) {
  const calls: string[] = [];
  const steer = (verb: string, from: RunState["status"][]) => async (runId: string, reason: string) => {
    calls.push(`${verb}:${runId}:${reason}`);
    return from.includes(runs[runId] as RunState["status"]);
  };
  const t: CommandTarget = {
    startRun: async (request) => {
      calls.push(`start:${request.blueprintId}:${request.runId}:${request.correlationId}`);
      return { runId: request.runId, created: true };
    },
    pause: steer("pause", ["running"]),
    resume: steer("resume", ["paused"]),
    cancel: steer("cancel", ["running", "paused"]),
    readRun: async (runId) => (runs[runId] ? ({ runId, status: runs[runId] } as RunState) : undefined),
  };
  return { target: t, calls };
}

const base = { commandId: "c-1", input: {}, reason: null, actor: "ops@example.com", correlationId: "corr", time: new Date() };

describe("control handlers", () => {
  it("starts a requested run with the id derived from the command id", async () => {
    const { target: t, calls } = target({});
    const command: WorkflowCommand = { ...base, type: "run.request", runId: null, workflowId: "content-moderation", transport: null };
    expect(await handleWorkflowCommand(command, { target: t, logger: silentLogger })).toBe("started");
    expect(calls).toEqual([`start:content-moderation:${runIdFor("command", "c-1")}:corr`]);
    expect(await handleWorkflowCommand({ ...command, workflowId: "nope" }, { target: t, logger: silentLogger })).toBe("unknown-workflow");
  });

  it("starts a requested run only on the requested transport", async () => {
    const { target: t, calls } = target({});
    const command: WorkflowCommand = { ...base, type: "run.request", runId: "r-mq", workflowId: "content-moderation", transport: "rabbitmq" };
    expect(await handleWorkflowCommand(command, { target: t, logger: silentLogger })).toBe("other-transport");
    expect(await handleWorkflowCommand({ ...command, transport: null }, { target: t, logger: silentLogger, transport: "rabbitmq" })).toBe("other-transport");
    expect(calls).toEqual([]);
    expect(await handleWorkflowCommand(command, { target: t, logger: silentLogger, transport: "rabbitmq" })).toBe("started");
    expect(calls).toEqual(["start:content-moderation:r-mq:corr"]);
  });

  it("applies pause/resume/cancel and reports unknown runs and non-applicable commands", async () => {
    const { target: t, calls } = target({ r1: "running", r2: "completed" });
    expect(await handleWorkflowCommand({ ...base, type: "run.cancel", runId: "r1", workflowId: null, reason: "gone" }, { target: t, logger: silentLogger })).toBe("applied");
    expect(calls).toEqual(["cancel:r1:gone"]);
    expect(await handleWorkflowCommand({ ...base, type: "run.pause", runId: "r2", workflowId: null }, { target: t, logger: silentLogger })).toBe("ignored");
    expect(await handleWorkflowCommand({ ...base, type: "run.resume", runId: "missing", workflowId: null }, { target: t, logger: silentLogger })).toBe("unknown-run");
  });

  it("starts the mapped workflow of every lifecycle event type with a run id from the event id", async () => {
    const { target: t, calls } = target({});
    const event = { eventId: "e-1", type: "employee.onboard" as const, orgId: "o", employeeId: "emp", data: { name: "Ada" }, correlationId: "corr-e", time: new Date() };
    const expected = { "employee.onboard": "employee-onboarding", "employee.exit": "employee-offboarding", "employee.transfer": "employee-transfer", "employee.update": "employee-update" };
    expect(LIFECYCLE_WORKFLOWS).toEqual(expected);
    for (const type of LIFECYCLE_EVENT_TYPES) await handleLifecycleEvent({ ...event, type, eventId: `e-${type}` }, { startRun: t.startRun, logger: silentLogger });
    expect(calls).toEqual(LIFECYCLE_EVENT_TYPES.map((type) => `start:${expected[type]}:${runIdFor("lifecycle", `e-${type}`)}:corr-e`));
  });

  it("hands the event's data to the run with the employee, org and event ids", async () => {
    const inputs: unknown[] = [];
    const event = { eventId: "e-2", type: "employee.exit" as const, orgId: "o", employeeId: "emp", data: { hasEquipment: true, employeeId: "spoofed" }, correlationId: "corr-e", time: new Date() };
    await handleLifecycleEvent(event, { startRun: async (request) => (inputs.push(request.input), { runId: request.runId, created: true }), logger: silentLogger });
    expect(inputs).toEqual([{ hasEquipment: true, employeeId: "emp", orgId: "o", lifecycleEventId: "e-2" }]);
  });
});
